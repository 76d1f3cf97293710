import { counterIds, GAP_TYPE, toStored, type Collections, type EventDocument } from './collections';
import { lastVersionByProbes, readVersions, rememberVersion } from './lookups';
import type { ReadAllOptions, ReadAllResult, ReadStreamOptions, StoredEvent } from './types';

export const DEFAULT_READ_ALL_LIMIT = 1000;

/**
 * The stream's events in version order. The tail of a multi-event append that is still being
 * written (or whose writer died; the next append or `sealGaps` finishes it) is left out, so a
 * reader sees a batch whole or not at all.
 */
export async function readStream(c: Collections, streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
  if (streamId.startsWith('$')) return [];
  const docs = (!c.lookups.rangesIndexed && (await tailByLookups(c, streamId, options))) || (await rangeRead(c, streamId, options));
  const last = docs.at(-1);
  if (last && options.toVersion === undefined && !options.until) rememberVersion(c.lookups, streamId, last.version);
  if (last?.batch && last.version < Math.min(last.batch.lastVersion, options.toVersion ?? Infinity)) {
    const firstOfBatch = last.batch.firstVersion;
    return docs.filter((d) => d.version < firstOfBatch).map(toStored);
  }
  return docs.map(toStored);
}

async function rangeRead(c: Collections, streamId: string, options: ReadStreamOptions): Promise<EventDocument[]> {
  const version: Record<string, number> = { $gte: options.fromVersion ?? 1 };
  if (options.toVersion !== undefined) version.$lte = options.toVersion;
  return c.events
    .find(
      { streamId, version, ...(options.until ? { 'metadata.timestamp': { $lte: options.until } } : {}) },
      { sort: { version: 1 }, projection: { _id: 0, 'batch.pending': 0 } },
    )
    .toArray();
}

/** Up to this many events, exact lookups beat one scan of the collection on a server without range indexes. */
const MAX_TAIL_BY_LOOKUPS = 16;

/**
 * On a server that scans for range queries (see lookups.ts): a short tail of a stream whose head
 * this process has seen — the usual read after a snapshot, or of a stream it writes — by exact
 * (streamId, version) lookups: one round trip to confirm the head, one for the events. Null
 * otherwise (then one scan, which costs less than many lookups while the collection is small).
 */
async function tailByLookups(c: Collections, streamId: string, options: ReadStreamOptions): Promise<EventDocument[] | null> {
  const from = options.fromVersion ?? 1;
  const hint = c.lookups.hints.get(streamId);
  if (hint === undefined || Math.min(hint, options.toVersion ?? Infinity) - from + 1 > MAX_TAIL_BY_LOOKUPS) return null;
  const head = await lastVersionByProbes(c, streamId, hint);
  const lastWritten = head?.version ?? 0;
  rememberVersion(c.lookups, streamId, lastWritten);
  const to = Math.min(lastWritten, options.toVersion ?? Infinity);
  if (to < from) return [];
  if (to - from + 1 > MAX_TAIL_BY_LOOKUPS) return null;
  const docs = await readVersions(c, streamId, from, to);
  // Timestamps never decrease within a stream, so "until" keeps a prefix.
  return options.until ? docs.filter((d) => d.metadata.timestamp <= options.until!) : docs;
}

export async function headPosition(c: Collections): Promise<number> {
  return (await c.counters.findOne({ _id: counterIds.position }))?.position ?? 0;
}

/**
 * Events of all streams in position order, from `fromPosition`, stopping at the first hole so
 * nothing that is still being written is ever skipped. Gap markers are passed over and reported.
 */
export async function readAll(c: Collections, options: ReadAllOptions = {}): Promise<ReadAllResult> {
  const from = options.fromPosition ?? 1;
  const limit = options.limit ?? DEFAULT_READ_ALL_LIMIT;
  if (!Number.isSafeInteger(from) || from < 1) throw new RangeError('fromPosition must be a positive integer');
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');

  // Exact positions rather than a range: every server serves `$in` on the position index (the
  // stand-in scans the whole collection for a range), and only positions up to the head can exist.
  const headBefore = await headPosition(c);
  const upTo = Math.min(from + limit - 1, headBefore);
  let docs = upTo >= from ? await byPositions(c, from, upTo) : [];
  // Read after the events: a position reserved in between counts as in flight, which it is.
  const head = await headPosition(c);
  // Positions reserved while we read may already hold events: look at them too, as a range read would have.
  const beyond = Math.min(from + limit - 1, head);
  if (beyond > upTo && docs.length === upTo - from + 1) docs = docs.concat(await byPositions(c, upTo + 1, beyond));
  const events: StoredEvent[] = [];
  const gaps: number[] = [];
  let next = from;
  for (const doc of docs) {
    if (doc.position !== next) break;
    if (doc.type === GAP_TYPE) gaps.push(doc.position);
    else events.push(toStored(doc));
    next++;
  }
  const hole = next < from + limit && next <= head ? next : null;
  return { events, gaps, nextPosition: next, hole, headPosition: head };
}

async function byPositions(c: Collections, first: number, last: number): Promise<EventDocument[]> {
  const positions = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return c.events.find({ position: { $in: positions } }, { sort: { position: 1 }, projection: { _id: 0, batch: 0 } }).toArray();
}
