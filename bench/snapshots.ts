/**
 * Rehydration of a 100,000-event account, with and without snapshots, in one run.
 *
 *   npm run bench:snapshots                 # starts an ephemeral MongoDB (as the tests do)
 *   MONGODB_URI=mongodb://… npm run bench:snapshots
 *
 * The stream is written through the event store (appends of 100 events) into a fresh database,
 * which is dropped at the end. The snapshot case is the worst one for `snapshotEvery: 100`: the
 * snapshot is 99 events behind the head, so the fold reads the snapshot plus 99 events.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../config';
import { accountEvolver, accountStreamId, type AccountEvent } from '../domain/accounts';
import { createEventStore, MAX_EVENTS_PER_APPEND, type EventStore } from '../eventstore';
import { obtainMongo } from '../servers/mongodb';

const TOTAL_EVENTS = 100_000;
const SNAPSHOT_EVERY = 100;
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 7);

const log = (message: string) => console.log(`[bench] ${message}`);

async function main() {
  const config = loadConfig();
  const server = await obtainMongo({ config, mode: 'ephemeral', progress: log });
  const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(`bench_snapshots_${randomUUID().slice(0, 8)}`);
  try {
    const store = createEventStore(db);
    await store.ensureIndexes();
    const accountId = 'bench';
    const streamId = accountStreamId(accountId);

    const started = performance.now();
    // Everything but the last SNAPSHOT_EVERY - 1 events, then a snapshot, then the rest.
    const beforeSnapshot = TOTAL_EVENTS - (SNAPSHOT_EVERY - 1);
    await writeEvents(store, streamId, 0, beforeSnapshot);
    const snapshotted = await store.aggregateStream(streamId, accountEvolver, { snapshotEvery: SNAPSHOT_EVERY });
    await writeEvents(store, streamId, beforeSnapshot, TOTAL_EVENTS);
    log(
      `wrote ${TOTAL_EVENTS} events in ${((performance.now() - started) / 1000).toFixed(1)} s (snapshot at version ${snapshotted.version})`,
    );

    const full = await measure('full fold, no snapshot', () =>
      store.aggregateStream(streamId, accountEvolver, { useSnapshots: false }),
    );
    const withSnapshot = await measure(`snapshot + tail (every ${SNAPSHOT_EVERY})`, () =>
      store.aggregateStream(streamId, accountEvolver, {}),
    );
    if (JSON.stringify(full.result.state) !== JSON.stringify(withSnapshot.result.state)) {
      throw new Error('the snapshot path produced a different state than the full fold');
    }

    const rows = [full, withSnapshot].map((m) => ({
      mode: m.name,
      'events folded': m.result.eventsFolded,
      'median ms': m.median.toFixed(1),
      'min ms': m.min.toFixed(1),
      'max ms': m.max.toFixed(1),
    }));
    console.log(
      `\nRehydrating one account of ${TOTAL_EVENTS} events, ${REPETITIONS} runs each (MongoDB: ${server.source})`,
    );
    console.table(rows);
    console.log(
      `speed-up (median without / median with snapshots): ${(full.median / withSnapshot.median).toFixed(0)}x`,
    );
    console.log(
      `both give balance ${(full.result.state as { balance?: number }).balance} at version ${full.result.version}`,
    );
  } finally {
    await db.dropDatabase().catch(() => {});
    await client.close();
    await server.stop();
  }
}

/** Deposits and withdrawals that keep the balance positive, written in appends of 100. */
async function writeEvents(store: EventStore, streamId: string, from: number, to: number) {
  let version = from;
  while (version < to) {
    const size = Math.min(MAX_EVENTS_PER_APPEND, to - version);
    const events: AccountEvent[] = Array.from({ length: size }, (_, i) => {
      const v = version + i + 1;
      if (v === 1) return { type: 'AccountOpened', data: { owner: 'bench', initial: 1_000 } };
      return v % 3 === 0
        ? { type: 'Withdrawn', data: { amount: 5, reference: `order-${v}` } }
        : { type: 'Deposited', data: { amount: 7 } };
    });
    const result = await store.append(streamId, events, {
      expectedVersion: version === 0 ? 'no_stream' : version,
      streamType: 'account',
    });
    version = result.nextExpectedVersion;
    if (version % 10_000 === 0) log(`  ${version} events`);
  }
}

async function measure<T>(name: string, run: () => Promise<T>) {
  await run(); // warm-up: connection pool, JIT
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < REPETITIONS; i++) {
    const t0 = performance.now();
    result = await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { name, result, median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times.at(-1)! };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
