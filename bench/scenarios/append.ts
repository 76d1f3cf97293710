import { randomUUID } from 'node:crypto';
import { getMongoDBEventStore } from '@event-driven-io/emmett-mongodb';
import type { Db, MongoClient } from 'mongodb';
import { createEventStore } from '../../eventstore';
import { takeTurns, WARMUP_ROUNDS } from '../lib/turns';
import { log, ratio, round, timedLoop } from '../lib/util';

export interface AppendVariantResult {
  name: string;
  eventsPerAppend: number;
  events: number;
  seconds: number;
  eventsPerSecond: number | null;
  /** Events/s of each measured turn, in order: the spread within the run. */
  turns: number[];
  error?: string;
}

/**
 * Scenario 2. C appenders, each on a stream of its own, append 1 or 10 events at a time with an
 * optimistic concurrency check (the version they last saw). Baselines on the same server:
 *  - raw driver insertOne / insertMany into a collection with the same three unique indexes
 *    (the (streamId, version) index is the concurrency check there);
 *  - Emmett's MongoDB event store (appendToStream with expectedStreamVersion).
 * The variants take turns after a warm-up round (../lib/turns.ts).
 */
export async function appendScenario(
  client: MongoClient,
  db: Db,
  options: { rounds: number; secondsPerTurn: number; concurrency: number },
) {
  const store = createEventStore(db);
  await store.ensureIndexes();
  const raw = db.collection('raw_events');
  await raw.createIndexes([
    { key: { streamId: 1, version: 1 }, name: 'stream_version', unique: true },
    { key: { position: 1 }, name: 'global_position', unique: true },
    { key: { 'metadata.eventId': 1 }, name: 'event_id', unique: true },
  ]);
  const emmett = getMongoDBEventStore({
    client,
    storage: { type: 'COLLECTION_PER_STREAM_TYPE', databaseName: db.databaseName },
  });

  const run = randomUUID().slice(0, 6);
  const event = (i: number) => ({ type: 'Deposited', data: { amount: 7, reason: 'bench', reference: `ref-${i}` } });
  let rawPosition = 0;
  // Each round appends to fresh streams: Emmett keeps a stream in one document, which every append
  // rewrites, so streams grown over earlier rounds would slow its later turns.
  let streamRound = 0;
  const versions = new Map<string, number>();

  type Variant = { name: string; size: number; append: (user: number) => Promise<number> };
  const variants: Variant[] = [];
  for (const size of [1, 10]) {
    variants.push({
      name: `ours (eventstore.append, expectedVersion)`,
      size,
      append: async (user) => {
        const streamId = `bench-${run}-${streamRound}-${size}-${user}`;
        const v = versions.get(streamId) ?? 0;
        const events = Array.from({ length: size }, (_, i) => event(v + i));
        const result = await store.append(streamId, events, {
          expectedVersion: v === 0 ? 'no_stream' : v,
          streamType: 'account',
        });
        versions.set(streamId, result.nextExpectedVersion);
        return size;
      },
    });
    variants.push({
      name: size === 1 ? 'raw driver insertOne' : 'raw driver insertMany',
      size,
      append: async (user) => {
        const streamId = `raw-${run}-${streamRound}-${size}-${user}`;
        const v = versions.get(streamId) ?? 0;
        const timestamp = new Date();
        const docs = Array.from({ length: size }, (_, i) => ({
          streamId,
          streamType: 'account',
          version: v + 1 + i,
          position: ++rawPosition,
          ...event(v + i),
          metadata: { eventId: randomUUID(), timestamp, correlationId: streamId, causationId: null },
        }));
        if (size === 1) await raw.insertOne(docs[0]!);
        else await raw.insertMany(docs, { ordered: true });
        versions.set(streamId, v + size);
        return size;
      },
    });
    variants.push({
      name: 'Emmett MongoDB (appendToStream, expectedStreamVersion)',
      size,
      append: async (user) => {
        const streamName = `bench:${run}-${streamRound}-${size}-${user}`;
        const v = versions.get(streamName) ?? 0;
        const events = Array.from({ length: size }, (_, i) => event(v + i));
        const result = await emmett.appendToStream(streamName, events, { expectedStreamVersion: BigInt(v) });
        versions.set(streamName, Number(result.nextExpectedStreamVersion));
        return size;
      },
    });
  }

  const totals = await takeTurns(
    variants,
    options.rounds,
    async (variant, r) => {
      streamRound = r;
      return timedLoop(options.secondsPerTurn * 1000, options.concurrency, (user) => variant.append(user));
    },
    (r, warmup) =>
      log(warmup ? 'append: warm-up round done (not counted)' : `append: round ${r}/${options.rounds} done`),
  );
  for (const [variant, total] of totals)
    if (total.error) log(`  append: ${variant.name} x${variant.size} failed: ${total.error}`);

  const results: AppendVariantResult[] = variants.map((v) => {
    const t = totals.get(v)!;
    return {
      name: v.name,
      eventsPerAppend: v.size,
      events: t.events,
      seconds: round(t.ms / 1000),
      eventsPerSecond: t.error ? null : round(t.events / (t.ms / 1000), 1),
      turns: t.turns,
      ...(t.error ? { error: t.error } : {}),
    };
  });
  const rate = (name: string, size: number) =>
    results.find((r) => r.name.startsWith(name) && r.eventsPerAppend === size)?.eventsPerSecond ?? NaN;
  const summary = [1, 10].map((size) => ({
    eventsPerAppend: size,
    ours: rate('ours', size),
    raw: rate('raw', size),
    emmett: rate('Emmett', size),
    oursVsRaw: ratio(rate('ours', size), rate('raw', size)),
    oursVsEmmett: ratio(rate('ours', size), rate('Emmett', size)),
  }));
  for (const s of summary)
    log(
      `append: x${s.eventsPerAppend} ours ${s.ours}/s raw ${s.raw}/s Emmett ${s.emmett}/s -> ${s.oursVsRaw} of raw, ${s.oursVsEmmett}x Emmett`,
    );
  return {
    concurrency: options.concurrency,
    warmupRounds: WARMUP_ROUNDS,
    rounds: options.rounds,
    secondsPerTurn: options.secondsPerTurn,
    variants: results,
    summary,
  };
}
