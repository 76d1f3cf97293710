import { randomUUID } from 'node:crypto';
import { getMongoDBEventStore } from '@event-driven-io/emmett-mongodb';
import { BSON, type Db, type MongoClient } from 'mongodb';
import { accountEvolver, type AccountEvent, type AccountState } from '../../domain/accounts';
import { createEventStore, MAX_EVENTS_PER_APPEND, type EventStore } from '../../eventstore';
import { errorText, log, median, now, ratio, round } from '../lib/util';

const SNAPSHOT_EVERY = 100;
/** Emmett's event type: the same events, typed as its plain records. */
type EmmettEvent = { type: string; data: Record<string, unknown> };
const MAX_BSON = 16 * 1024 * 1024;

/** The account's n-th event: an opening, then deposits and withdrawals that keep the balance positive. */
function accountEvent(v: number): AccountEvent {
  if (v === 1) return { type: 'AccountOpened', data: { owner: 'bench', initial: 1_000 } };
  return v % 3 === 0
    ? { type: 'Withdrawn', data: { amount: 5, reference: `order-${v}` } }
    : { type: 'Deposited', data: { amount: 7 } };
}

export interface RehydrateRow {
  events: number;
  setup: string;
  oursFullMs: number;
  oursSnapshotMs: number | null;
  snapshotNote: string;
  emmettMs: number | null;
  emmettError?: string;
  emmettDocumentMiB?: number;
  /** Emmett's time / ours: above 1 means ours is faster. */
  speedupFullVsEmmett: number | null;
  speedupSnapshotVsEmmett: number | null;
  snapshotSpeedup: number | null;
}

/**
 * Scenario 3. Loads one account's state from streams of each size: ours with a full fold, ours
 * from the latest snapshot (taken every 100 events; the worst case, 99 events behind the head),
 * and Emmett's aggregateStream on the same events in its own layout (one document per stream).
 * Small streams are written through each store's append; the largest one is bulk-inserted as
 * well-formed documents (ours: one document per event with reserved positions; Emmett: its stream
 * document), because appending 100,000 events one batch at a time would dominate the run.
 */
export async function rehydrateScenario(
  client: MongoClient,
  db: Db,
  options: { sizes: number[]; bulkFrom: number; repetitions: (n: number) => number },
) {
  const store = createEventStore(db);
  await store.ensureIndexes();
  const emmett = getMongoDBEventStore({
    client,
    storage: { type: 'COLLECTION_PER_STREAM_TYPE', databaseName: db.databaseName },
  });
  const rows: RehydrateRow[] = [];
  for (const n of options.sizes) {
    const bulk = n >= options.bulkFrom;
    const id = `rh-${n}-${randomUUID().slice(0, 6)}`;
    const streamId = `account-${id}`;
    const t0 = now();
    // Everything but the last 99 events, a snapshot, then the rest (the snapshot's worst case).
    const beforeSnapshot = n >= SNAPSHOT_EVERY ? n - (SNAPSHOT_EVERY - 1) : n;
    if (bulk) await bulkInsertOurs(db, streamId, 1, beforeSnapshot);
    else await appendOurs(store, streamId, 0, beforeSnapshot);
    if (n >= SNAPSHOT_EVERY) await store.aggregateStream(streamId, accountEvolver, { snapshotEvery: SNAPSHOT_EVERY });
    if (bulk) await bulkInsertOurs(db, streamId, beforeSnapshot + 1, n);
    else await appendOurs(store, streamId, beforeSnapshot, n);
    log(
      `rehydrate: ${n} events written to our store in ${((now() - t0) / 1000).toFixed(1)} s (${bulk ? 'bulk insert' : 'appends of 100'})`,
    );

    const reps = options.repetitions(n);
    const full = await timeIt(reps, () => store.aggregateStream(streamId, accountEvolver, { useSnapshots: false }));
    const snap = await timeIt(reps, () => store.aggregateStream(streamId, accountEvolver, {}));
    if (JSON.stringify(full.result.state) !== JSON.stringify(snap.result.state))
      throw new Error('snapshot and full fold disagree');

    const row: RehydrateRow = {
      events: n,
      setup: bulk ? 'bulk insert of well-formed event documents' : 'appends of 100 events',
      oursFullMs: round(full.median),
      oursSnapshotMs: n >= SNAPSHOT_EVERY ? round(snap.median) : null,
      snapshotNote:
        n >= SNAPSHOT_EVERY
          ? `snapshot at version ${snap.result.snapshotVersion}, ${snap.result.eventsFolded} events folded on top`
          : 'shorter than the snapshot interval: no snapshot',
      emmettMs: null,
      speedupFullVsEmmett: null,
      speedupSnapshotVsEmmett: null,
      snapshotSpeedup: n >= SNAPSHOT_EVERY ? ratio(full.median, snap.median) : null,
    };

    const streamName = `account:${id}`;
    try {
      const t1 = now();
      if (bulk) row.emmettDocumentMiB = await bulkInsertEmmett(db, streamName, n);
      else {
        for (let v = 0; v < n; v += MAX_EVENTS_PER_APPEND) {
          const size = Math.min(MAX_EVENTS_PER_APPEND, n - v);
          await emmett.appendToStream(
            streamName,
            Array.from({ length: size }, (_, i) => accountEvent(v + i + 1) as EmmettEvent),
            { expectedStreamVersion: BigInt(v) },
          );
        }
      }
      log(`rehydrate: ${n} events written to Emmett in ${((now() - t1) / 1000).toFixed(1)} s`);
      const em = await timeIt(reps, () =>
        emmett.aggregateStream<AccountState, EmmettEvent>(streamName, {
          initialState: () => accountEvolver.initialState(),
          evolve: (state: AccountState, event: unknown) => accountEvolver.evolve(state, event as never),
        }),
      );
      const emState = em.result.state;
      if (
        emState.status !== 'open' ||
        full.result.state.status !== 'open' ||
        emState.balance !== (full.result.state as { balance: number }).balance
      ) {
        throw new Error(`Emmett folded to a different balance: ${JSON.stringify(emState)}`);
      }
      row.emmettMs = round(em.median);
      row.speedupFullVsEmmett = ratio(em.median, full.median);
      row.speedupSnapshotVsEmmett = row.oursSnapshotMs !== null ? ratio(em.median, snap.median) : null;
    } catch (err) {
      row.emmettError = errorText(err);
      log(`rehydrate: Emmett could not load ${n} events: ${row.emmettError}`);
    }
    log(
      `rehydrate: ${n} events: ours full ${row.oursFullMs} ms, snapshot ${row.oursSnapshotMs ?? '-'} ms, Emmett ${row.emmettMs ?? 'n/a'} ms`,
    );
    rows.push(row);
  }
  return { snapshotEvery: SNAPSHOT_EVERY, rows };
}

async function appendOurs(store: EventStore, streamId: string, from: number, to: number) {
  let version = from;
  while (version < to) {
    const size = Math.min(MAX_EVENTS_PER_APPEND, to - version);
    const events = Array.from({ length: size }, (_, i) => accountEvent(version + i + 1));
    version = (
      await store.append(streamId, events, {
        expectedVersion: version === 0 ? 'no_stream' : version,
        streamType: 'account',
      })
    ).nextExpectedVersion;
  }
}

/** Versions from..to as the store would have written them one event per append: positions reserved first. */
async function bulkInsertOurs(db: Db, streamId: string, from: number, to: number) {
  const count = to - from + 1;
  if (count <= 0) return;
  const before = await db
    .collection<{ _id: string; position: number }>('counters')
    .findOneAndUpdate(
      { _id: 'events' },
      { $inc: { position: count }, $max: { reservedAt: new Date() } },
      { upsert: true, returnDocument: 'before' },
    );
  const base = before?.position ?? 0;
  const start = Date.now() - count;
  const CHUNK = 5_000;
  for (let v = from; v <= to; v += CHUNK) {
    const docs = [];
    for (let w = v; w <= Math.min(to, v + CHUNK - 1); w++) {
      docs.push({
        streamId,
        streamType: 'account',
        version: w,
        position: base + (w - from) + 1,
        ...accountEvent(w),
        metadata: {
          eventId: randomUUID(),
          timestamp: new Date(start + (w - from)),
          correlationId: streamId,
          causationId: null,
        },
      });
    }
    await db.collection('events').insertMany(docs, { ordered: true });
  }
}

/** Emmett's layout: one document per stream with every event in `messages`. Returns its size in MiB. */
async function bulkInsertEmmett(db: Db, streamName: string, n: number): Promise<number> {
  const [streamType, streamId] = streamName.split(':') as [string, string];
  const messages = Array.from({ length: n }, (_, i) => ({
    ...accountEvent(i + 1),
    metadata: { messageId: randomUUID(), streamName, streamPosition: BigInt(i + 1) },
  }));
  const now = new Date();
  const doc = {
    streamName,
    messages,
    metadata: { streamId, streamType, streamPosition: BigInt(n), createdAt: now, updatedAt: now },
    projections: {},
  };
  const size = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
  const mib = round(size / 2 ** 20);
  if (size > MAX_BSON) {
    // Try anyway, so the report carries the driver's own words.
    try {
      await db.collection(`emt:${streamType}`).insertOne(doc);
    } catch (err) {
      throw new Error(
        `one stream is one document in Emmett's MongoDB store; ${n} events make a ${mib} MiB document, over MongoDB's 16 MiB limit: ${errorText(err)}`,
      );
    }
    throw new Error(
      `one stream is one document in Emmett's MongoDB store; ${n} events make a ${mib} MiB document, over MongoDB's 16 MiB limit (this server accepted it anyway)`,
    );
  }
  await db.collection(`emt:${streamType}`).insertOne(doc);
  return mib;
}

async function timeIt<T>(reps: number, fn: () => Promise<T>) {
  let result = await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    result = await fn();
    times.push(now() - t0);
  }
  return { result, median: median(times) };
}
