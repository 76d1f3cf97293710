import type { Db } from 'mongodb';

/**
 * The one place that knows the MongoDB server may not be a full MongoDB. CI and machines without
 * `mongod` run an in-memory, wire-compatible stand-in (mongo-java-server, see servers/). Everything
 * outside this file is written for a real replica set; the accommodations below are detected
 * automatically, cost nothing on real MongoDB, and each says what real MongoDB does instead.
 *
 * 1. **Range queries.** MongoDB serves `{ streamId, version: { $gte } }` from the compound
 *    `(streamId, version)` index. The stand-in uses an index only for an exact match on all of its
 *    keys (or `$in` on a single-field index) and scans otherwise. Detected by `rangesIndexed`; where
 *    ranges are not indexed, a stream's head is found by exact `(streamId, version)` probes
 *    (eventstore/lookups.ts), so an append never scans the collection; each round of probes is
 *    one query with `$in` on the version, which the launcher looks up key by key. Reads by global
 *    position use `$in` on the unique position index on every server (eventstore/read.ts,
 *    eventstore/gaps.ts): that is as good as a range on MongoDB.
 * 2. **Empty change-stream polls.** MongoDB holds an empty `getMore` open until an insert arrives
 *    or `maxAwaitTimeMS` passes, so pulling with `tryNext` is event-driven. The launcher in
 *    servers/mongo-launcher makes the stand-in do the same; a plain mongo-java-server answers at
 *    once. Detected per poll by `pauseAfterEmptyPoll`: only an answer faster than a held poll gets
 *    a short pause (readside/engine/log-watcher.ts), so a server that does not hold polls is not
 *    polled in a busy loop.
 * 3. **Post-images.** MongoDB builds `findOneAndUpdate`'s post-image under the document's lock; the
 *    stand-in does not. Position reservations read the pre-image, which is exact on both
 *    (eventstore/append.ts).
 * 4. **Conditional updates by `{ _id, status }`.** MongoDB serves them from the `_id` index; the
 *    stand-in needs an index naming both keys, which the services create (activities/indexes.ts);
 *    on MongoDB it is merely redundant.
 * 5. **The oplog.** On its own the stand-in records inserts it refused and keeps every entry
 *    forever; the launcher corrects both (servers/mongo-launcher), so change streams report what
 *    MongoDB's would.
 */

const detected = new WeakMap<Db, Promise<boolean>>();

/**
 * Whether the server's planner serves range queries from a compound index. Real `mongod` answers
 * `buildInfo` with its `gitVersion`; the stand-in answers with the version only. Anything that
 * cannot be asked counts as a full MongoDB (range queries are correct everywhere).
 */
export function rangesIndexed(db: Db): Promise<boolean> {
  let answer = detected.get(db);
  if (!answer) {
    answer = db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.gitVersion === 'string' && info.gitVersion.length > 0)
      .catch(() => true);
    detected.set(db, answer);
  }
  return answer;
}

/** An empty answer faster than this was not held open by the server. */
const HELD_POLL_MS = 100;

/** How long to wait before the next poll after an empty one that took `elapsedMs`: 0 where the server held it. */
export const pauseAfterEmptyPoll = (elapsedMs: number, pauseMs: number): number =>
  elapsedMs < HELD_POLL_MS ? pauseMs : 0;
