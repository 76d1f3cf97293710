import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { append } from '../../eventstore/append';
import { collections, type Collections } from '../../eventstore/collections';
import { rangesIndexed } from '../../eventstore/server-seam';
import { readAll } from '../../eventstore/read';
import { createEventStore } from '../../eventstore';
import { log, ratio, round, timedLoop } from '../lib/util';

export interface LookupRow {
  operation: string;
  before: string;
  after: string;
  beforePerSecond: number;
  afterPerSecond: number;
  speedup: number;
}

/**
 * Before/after for the event store's query changes, in one run on one database that already holds
 * `background` events: the old query shapes (range reads, `$ne` on findEvent) against the new ones
 * (exact lookups where the server only indexes exact matches, `$in` of positions for readAll).
 */
export async function lookupsScenario(db: Db, options: { background: number; secondsPerTurn: number }) {
  const store = createEventStore(db);
  await store.ensureIndexes();
  const serverRanges = await rangesIndexed(db);
  // Background: many short streams, bulk-inserted with reserved positions.
  const c = collections(db);
  const before = await c.counters.findOneAndUpdate(
    { _id: 'events' },
    { $inc: { position: options.background } },
    { upsert: true, returnDocument: 'before' },
  );
  const base = before?.position ?? 0;
  const docs = Array.from({ length: options.background }, (_, i) => ({
    streamId: `bg-${Math.floor(i / 5)}`,
    streamType: 'bg',
    version: (i % 5) + 1,
    position: base + i + 1,
    type: 'Background',
    data: { i },
    metadata: { eventId: randomUUID(), timestamp: new Date(), correlationId: 'bg', causationId: null },
  }));
  for (let i = 0; i < docs.length; i += 5_000) await c.events.insertMany(docs.slice(i, i + 5_000));
  // One event to look up.
  const probeId = (await store.append(`one-${randomUUID()}`, [{ type: 'E', data: {} }], { streamType: 'x' })).events[0]!
    .metadata.eventId;

  // Whatever else a process keeps for its lookups starts empty, as collections() gives it.
  const withRanges = (ranges: boolean): Collections => {
    const c = collections(db);
    return { ...c, lookups: { ...c.lookups, rangesIndexed: ranges } };
  };
  const oldC = withRanges(true);
  const newC = withRanges(serverRanges);
  const versions = new Map<string, number>();
  const appendWith = (cc: Collections, tag: string) => async (user: number) => {
    const streamId = `${tag}-${user}`;
    const v = versions.get(streamId) ?? 0;
    const r = await append(cc, streamId, [{ type: 'E', data: {} }], {
      expectedVersion: v === 0 ? 'no_stream' : v,
      streamType: 'x',
    });
    versions.set(streamId, r.nextExpectedVersion);
    return 1;
  };
  const head = async () => (await c.counters.findOne({ _id: 'events' }))!.position;
  const oldReadAll = async () => {
    const from = (await head()) - 5;
    await c.events
      .find({ position: { $gte: from, $lt: from + 500 } }, { sort: { position: 1 }, projection: { _id: 0, batch: 0 } })
      .toArray();
    await head();
    return 1;
  };
  const newReadAll = async () => {
    await readAll(newC, { fromPosition: (await head()) - 5, limit: 500 });
    return 1;
  };
  const cases = [
    {
      operation: 'append 1 event (expectedVersion)',
      before: 'streamHead: findOne({ streamId }) sorted by version',
      after: serverRanges
        ? 'unchanged (server indexes ranges)'
        : 'exact (streamId, version) probes from the expected version',
      old: appendWith(oldC, `old-${randomUUID().slice(0, 4)}`),
      new: appendWith(newC, `new-${randomUUID().slice(0, 4)}`),
      concurrency: 4,
    },
    {
      operation: 'readAll at the head (limit 500)',
      before: 'position: { $gte, $lt }',
      after: 'position: { $in: positions up to the head }',
      old: oldReadAll,
      new: newReadAll,
      concurrency: 1,
    },
    {
      operation: 'findEvent by id',
      before: "{ 'metadata.eventId', streamId: { $ne: '$gaps' } }",
      after: "{ 'metadata.eventId' } and the gap check in code",
      old: async () => ((await c.events.findOne({ 'metadata.eventId': probeId, streamId: { $ne: '$gaps' } })) ? 1 : 1),
      new: async () => ((await store.findEvent(probeId)) ? 1 : 1),
      concurrency: 1,
    },
  ];
  const rows: LookupRow[] = [];
  for (const k of cases) {
    const o = await timedLoop(options.secondsPerTurn * 1000, k.concurrency, (u) => k.old(u));
    const n = await timedLoop(options.secondsPerTurn * 1000, k.concurrency, (u) => k.new(u));
    const o2 = await timedLoop(options.secondsPerTurn * 1000, k.concurrency, (u) => k.old(u));
    const beforeRate = ((o.ops + o2.ops) / (o.ms + o2.ms)) * 1000;
    const afterRate = (n.ops / n.ms) * 1000;
    rows.push({
      operation: k.operation,
      before: k.before,
      after: k.after,
      beforePerSecond: round(beforeRate, 1),
      afterPerSecond: round(afterRate, 1),
      speedup: ratio(afterRate, beforeRate),
    });
    log(
      `lookups: ${k.operation}: before ${round(beforeRate, 1)}/s after ${round(afterRate, 1)}/s (${ratio(afterRate, beforeRate)}x) with ${options.background} events in the store`,
    );
  }
  return { background: options.background, serverIndexesRanges: serverRanges, rows };
}
