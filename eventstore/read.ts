import { counterIds, GAP_TYPE, toStored, type Collections } from './collections';
import type { ReadAllOptions, ReadAllResult, ReadStreamOptions, StoredEvent } from './types';

export const DEFAULT_READ_ALL_LIMIT = 1000;

/**
 * The stream's events in version order. The tail of a multi-event append that is still being
 * written (or whose writer died; the next append or `sealGaps` finishes it) is left out, so a
 * reader sees a batch whole or not at all.
 */
export async function readStream(c: Collections, streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
  if (streamId.startsWith('$')) return [];
  const version: Record<string, number> = { $gte: options.fromVersion ?? 1 };
  if (options.toVersion !== undefined) version.$lte = options.toVersion;
  const docs = await c.events
    .find(
      { streamId, version, ...(options.until ? { 'metadata.timestamp': { $lte: options.until } } : {}) },
      { sort: { version: 1 }, projection: { _id: 0, 'batch.pending': 0 } },
    )
    .toArray();
  const last = docs.at(-1);
  if (last?.batch && last.version < Math.min(last.batch.lastVersion, options.toVersion ?? Infinity)) {
    const firstOfBatch = last.batch.firstVersion;
    return docs.filter((d) => d.version < firstOfBatch).map(toStored);
  }
  return docs.map(toStored);
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

  const docs = await c.events
    .find({ position: { $gte: from, $lt: from + limit } }, { sort: { position: 1 }, projection: { _id: 0, batch: 0 } })
    .toArray();
  // Read after the events: a position reserved in between counts as in flight, which it is.
  const head = await headPosition(c);
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
