import type { Db } from 'mongodb';
import type { Collections, EventDocument, Lookups } from './collections';

/**
 * How the store reads streams depends on what the server's query planner can serve from an index.
 *
 * MongoDB serves `{ streamId, version: { $gte } }` and `{ streamId }` sorted by version from the
 * `(streamId, version)` index. The MongoDB stand-in used in tests and on machines without mongod
 * (mongo-java-server) only uses an index for an exact match on all of its keys (or `$in` on a
 * single-field index): anything else scans the whole collection, so on it every append and every
 * stream read would cost O(events in the store). On such a server the store finds a stream's head
 * by exact `(streamId, version)` probes instead, starting from the expected or last seen version.
 * (Reading a stream's events by exact lookups was tried too and lost to one scan: the stand-in's
 * per-command cost outweighs scanning tens of thousands of documents.)
 */
const MAX_HINTS = 10_000;
const detected = new WeakMap<Db, Promise<boolean>>();

/**
 * Real mongod answers `buildInfo` with its `gitVersion`; the stand-in answers with the version only.
 * Anything that cannot be asked counts as a full MongoDB (the range queries are correct everywhere).
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

export function rememberVersion(lookups: Lookups, streamId: string, version: number): void {
  if (lookups.hints.size >= MAX_HINTS && !lookups.hints.has(streamId)) lookups.hints.clear();
  lookups.hints.set(streamId, version);
}

type HeadProjection = Pick<EventDocument, 'version' | 'metadata' | 'batch'>;
const headProjection = { _id: 0, version: 1, 'metadata.timestamp': 1, 'batch.firstVersion': 1, 'batch.lastVersion': 1 } as const;

async function probe(c: Collections, streamId: string, versions: number[]): Promise<Map<number, HeadProjection>> {
  const found = await Promise.all(versions.map((version) => c.events.findOne({ streamId, version }, { projection: headProjection })));
  const byVersion = new Map<number, HeadProjection>();
  found.forEach((doc, i) => {
    if (doc) byVersion.set(versions[i]!, doc as HeadProjection);
  });
  return byVersion;
}

/**
 * The stream's last written version by exact `(streamId, version)` lookups. Versions of a stream
 * are written in order (a batch's members after its first event, in order), so the versions that
 * exist are always 1..n: a galloping search finds n. With a good hint it takes one round trip
 * (probes hint and hint + 1 together); a new stream also takes one.
 */
export async function lastVersionByProbes(c: Collections, streamId: string, hint: number | undefined): Promise<HeadProjection | null> {
  let low = 0; // known to exist (0 = the empty stream)
  let lowDoc: HeadProjection | null = null;
  let high = Infinity; // known not to exist
  const first = hint && hint > 0 ? [hint, hint + 1] : [1, 2, 3, 4, 8];
  let found = await probe(c, streamId, first);
  for (const v of first) {
    if (found.has(v)) {
      if (v > low) [low, lowDoc] = [v, found.get(v)!];
    } else if (v < high) high = v;
  }
  // A hint that is too high (another process's stream, say): fall back to searching from the start.
  if (hint && !found.has(hint) && hint > 1) high = hint;
  while (high === Infinity) {
    const next = [low * 2, low * 4, low * 8, low * 16].map((v) => Math.max(v, low + 1));
    found = await probe(c, streamId, next);
    for (const v of next) {
      if (found.has(v)) {
        if (v > low) [low, lowDoc] = [v, found.get(v)!];
      } else if (v < high) high = v;
    }
  }
  // Narrow (low, high) with up to 8 probes per round trip.
  while (high - low > 1) {
    const step = Math.max(1, Math.floor((high - low) / 9));
    const next: number[] = [];
    for (let v = low + step; v < high && next.length < 8; v += step) next.push(v);
    found = await probe(c, streamId, next);
    for (const v of next) {
      if (found.has(v)) {
        if (v > low) [low, lowDoc] = [v, found.get(v)!];
      } else if (v < high) high = v;
    }
  }
  if (low > 0 && !lowDoc) lowDoc = (await probe(c, streamId, [low])).get(low) ?? null;
  return lowDoc;
}
