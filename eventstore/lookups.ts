import type { Collections, EventDocument, Lookups } from './collections';
import type { ExpectedVersion } from './types';

/** The stream's head, as this process last wrote or read it (a bounded LRU memory, ./collections.ts). */
export function rememberVersion(lookups: Lookups, streamId: string, version: number, timestamp: Date): void {
  lookups.hints.set(streamId, { version, timestamp });
}

/** How many committed event ids a process remembers (a few MB); the memory starts over when full. */
const MAX_COMMITTED_IDS = 100_000;

/** Remembers caller-chosen ids as committed, so a repeat of them is looked up before it reserves positions. */
export function rememberCommitted(lookups: Lookups, ids: readonly string[]): void {
  if (lookups.committedIds.size + ids.length > MAX_COMMITTED_IDS) lookups.committedIds.clear();
  for (const id of ids) lookups.committedIds.add(id);
}

/** Whether this process saw any of these ids committed: the append is most likely a repeat. */
export function likelyRepeat(lookups: Lookups, ids: readonly string[]): boolean {
  return ids.some((id) => lookups.committedIds.has(id));
}

/** A write refused on the stream's version: someone else moved it, so the hint is no use any more. */
export function forgetVersion(lookups: Lookups, streamId: string): void {
  lookups.hints.delete(streamId);
}

/**
 * Where the append's stream is, without a round trip, when that is known well enough to write:
 * - this process wrote or read the stream's last version, and the append expects that version or
 *   `any` (the hinted event was committed before anything is reserved for the append, so it lies
 *   below the append's positions and its timestamp bounds the append's from below);
 * - the append expects an empty stream (`no_stream` or 0) and this process knows nothing against
 *   it: it writes version 1, and there is no earlier event to follow.
 * Either way the insert is the check: the unique (streamId, version) index refuses version
 * `known + 1` (or 1) if another writer took it. Anything else is looked up before it is written: an
 * expected version the process cannot vouch for may be too high, which no index would refuse (it
 * would leave the versions below it missing), and `any` on an unseen stream has nothing to write at.
 * The position 0 of the result needs no comparing with a block reserved after it.
 */
export function knownHead(lookups: Lookups, streamId: string, expected: ExpectedVersion): StreamHead | null {
  const hint = lookups.hints.get(streamId);
  if (hint && (expected === 'any' || expected === hint.version)) return { ...hint, position: 0 };
  if (!hint && (expected === 'no_stream' || expected === 0)) return { version: 0, timestamp: null, position: 0 };
  return null;
}

type HeadProjection = Pick<EventDocument, 'version' | 'position' | 'metadata' | 'batch'>;
/** What a stream-head lookup reads of the last event: its version, position and time, and its batch's bounds. */
export const headProjection = {
  _id: 0,
  version: 1,
  position: 1,
  'metadata.timestamp': 1,
  'batch.firstVersion': 1,
  'batch.lastVersion': 1,
  'batch.lastPosition': 1,
} as const;

/** Where a stream stands: its last version, that event's time, and its global position (0 for an empty stream). */
export interface StreamHead {
  version: number;
  timestamp: Date | null;
  position: number;
}

/** One query for several versions: `$in` on the index's last key, which the stand-in's launcher looks up key by key. */
async function probe(c: Collections, streamId: string, versions: number[]): Promise<Map<number, HeadProjection>> {
  const found = await c.events.find({ streamId, version: { $in: versions } }, { projection: headProjection }).toArray();
  return new Map(found.map((doc) => [doc.version, doc as HeadProjection]));
}

/**
 * The stream's last written version by exact `(streamId, version)` lookups. Versions of a stream
 * are written in order (a batch's members after its first event, in order), so the versions that
 * exist are always 1..n: a galloping search finds n. With a good hint it takes one round trip
 * (probes hint and hint + 1 together); a new stream also takes one.
 */
export async function lastVersionByProbes(
  c: Collections,
  streamId: string,
  hint: number | undefined,
): Promise<HeadProjection | null> {
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
