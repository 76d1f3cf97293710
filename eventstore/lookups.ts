import type { Collections, EventDocument, Lookups } from './collections';

/** Exact-key stream-head lookups, for servers that do not index range queries (see ./server-seam.ts, 1). */
const MAX_HINTS = 10_000;

export function rememberVersion(lookups: Lookups, streamId: string, version: number, timestamp: Date): void {
  if (lookups.hints.size >= MAX_HINTS && !lookups.hints.has(streamId)) lookups.hints.clear();
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

type HeadProjection = Pick<EventDocument, 'version' | 'position' | 'metadata' | 'batch'>;
/** What a stream-head lookup reads of the last event: its version, position and time, and its batch's bounds. */
export const headProjection = { _id: 0, version: 1, position: 1, 'metadata.timestamp': 1, 'batch.firstVersion': 1, 'batch.lastVersion': 1, 'batch.lastPosition': 1 } as const;

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
