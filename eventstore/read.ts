import { counterIds, GAP_TYPE, positionsBetween, toStored, type Collections, type EventDocument } from './collections';
import { rememberVersion } from './lookups';
import type { ReadAllOptions, ReadAllResult, ReadStreamOptions, StoredEvent } from './types';

export const DEFAULT_READ_ALL_LIMIT = 1000;

/**
 * The stream's events in version order. The tail of a multi-event append that is still being
 * written (or whose writer died; the next append or `sealGaps` finishes it) is left out, so a
 * reader sees a batch whole or not at all.
 */
export async function readStream(
  c: Collections,
  streamId: string,
  options: ReadStreamOptions = {},
): Promise<StoredEvent[]> {
  if (streamId.startsWith('$')) return [];
  // A range read on every server: even where ranges are not indexed (./server-seam.ts, 1), one scan
  // costs less than the many exact lookups a tail would need (measured by npm run bench).
  const docs = await rangeRead(c, streamId, options);
  const last = docs.at(-1);
  const halfWritten = !!last?.batch && last.version < last.batch.lastVersion;
  // Only a whole batch is a safe place to append after (its missing members own the next versions).
  if (last && !halfWritten && options.toVersion === undefined && !options.until)
    rememberVersion(c.lookups, streamId, last.version, last.metadata.timestamp);
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

  // Exact positions, served by the unique position index on every server (./server-seam.ts, 1);
  // only positions up to the head can exist.
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

/** The event at one position: null for a gap marker, a hole, or a position beyond the head. */
export async function eventAt(c: Collections, position: number): Promise<StoredEvent | null> {
  if (!Number.isSafeInteger(position) || position < 1) throw new RangeError('position must be a positive integer');
  const doc = await c.events.findOne({ position }, { projection: { _id: 0, batch: 0 } });
  return doc && doc.type !== GAP_TYPE ? toStored(doc) : null;
}

async function byPositions(c: Collections, first: number, last: number): Promise<EventDocument[]> {
  return c.events
    .find(
      { position: { $in: positionsBetween(first, last) } },
      { sort: { position: 1 }, projection: { _id: 0, batch: 0 } },
    )
    .toArray();
}
