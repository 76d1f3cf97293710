import { randomUUID } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Db } from 'mongodb';
import { createEventStore, deterministicEventId } from '../../eventstore';
import { log, ratio, sleep, summarize, type LatencySummary } from '../lib/util';
export interface LagRow {
  eventsPerSecond: number;
  achievedPerSecond: number;
  events: number;
  /** Projector processes sharing the projections (the orders one has one holder). */
  projectors: number;
  oursMs: LatencySummary;
  /** The appends' own latency (start to acknowledged commit): where the store, not the projection, is the limit. */
  appendMs: LatencySummary;
  bareChangeStreamMs: LatencySummary;
  p50Ratio: number;
  p99Ratio: number;
  missed: number;
  /** Least-squares slope of ours' lag over the run, in ms of lag per second: ~0 means it keeps up. */
  slopeMsPerSecond: number;
  /** The same slope for the bare watch and for the append itself: growth they share is the server's. */
  bareSlopeMsPerSecond: number;
  appendSlopeMsPerSecond: number;
  seconds: number;
  /** Per 5 s of the run (by append start): the appends' and ours' median and worst latency, to show where a slope comes from. */
  timeline: Array<{ fromSecond: number; appendP50: number; appendMax: number; oursP50: number; oursMax: number }>;
}

function timeline(appends: Array<[number, number]>, ours: Array<[number, number]>): LagRow['timeline'] {
  const buckets = new Map<number, { a: number[]; o: number[] }>();
  const at = (s: number) => {
    const from = Math.floor(s / 5) * 5;
    if (!buckets.has(from)) buckets.set(from, { a: [], o: [] });
    return buckets.get(from)!;
  };
  for (const [s, ms] of appends) at(s).a.push(ms);
  for (const [s, ms] of ours) at(s).o.push(ms);
  return [...buckets.entries()]
    .sort(([x], [y]) => x - y)
    .map(([fromSecond, { a, o }]) => ({
      fromSecond,
      appendP50: summarize(a).p50,
      appendMax: Math.max(0, ...a),
      oursP50: summarize(o).p50,
      oursMax: Math.max(0, ...o),
    }));
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** The saga's five happy-path events for one order, on the services' streams, in order. */
function sagaEvents(orderId: string) {
  const items = [{ sku: 'LAG-1', quantity: 1, unitPrice: 100 }];
  return [
    {
      streamId: `order-${orderId}`,
      streamType: 'order',
      type: 'OrderCreated',
      data: {
        orderId,
        customerId: 'c',
        accountId: 'a',
        items,
        total: 100,
        shippingAddress: {},
        requiresApproval: false,
      },
    },
    {
      streamId: `payment-${orderId}`,
      streamType: 'payment',
      type: 'PaymentCompleted',
      data: { orderId, accountId: 'a', amount: 100 },
    },
    {
      streamId: `reservation-${orderId}`,
      streamType: 'reservation',
      type: 'ItemsReserved',
      data: { orderId, items: [{ sku: 'LAG-1', quantity: 1 }] },
    },
    {
      streamId: `shipment-${orderId}`,
      streamType: 'shipment',
      type: 'ShipmentScheduled',
      data: { orderId, trackingId: 'T', address: {} },
    },
    {
      streamId: `order-${orderId}`,
      streamType: 'order',
      type: 'OrderCompleted',
      data: { orderId, customerId: 'c', total: 100, items },
    },
  ];
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
const wallClock = () => performance.timeOrigin + performance.now();

/** Projector processes, as docker-compose runs them. */
export const LAG_PROJECTORS = 2;

interface Projectors {
  /** Resolves with the instant the orders read model held `position`, or null after `timeoutMs`. */
  applied(position: number, timeoutMs: number): Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts `count` projector processes (bench/lag-projector.ts) on the scenario's database. */
async function startProjectors(uri: string, dbName: string, count: number, profileFile?: string): Promise<Projectors> {
  const answers = new Map<number, number>();
  const waiting = new Map<number, () => void>();
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const child = fork(path.join(__dirname, '..', 'lag-projector.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        BENCH_MONGODB_URI: uri,
        BENCH_DB: dbName,
        ...(profileFile && i === 0 ? { BENCH_PROFILE_FILE: profileFile } : {}),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: { position?: number; at?: number }) => {
      if (typeof m.position !== 'number' || typeof m.at !== 'number') return;
      answers.set(m.position, m.at);
      waiting.get(m.position)?.();
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`projector process ${i} exited with ${code} before it was ready`)));
    });
  }
  const send = (position: number) => {
    for (const child of children) if (child.connected) child.send({ position });
  };
  return {
    async applied(position, timeoutMs) {
      send(position);
      if (!answers.has(position)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          waiting.set(position, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        waiting.delete(position);
      }
      const at = answers.get(position);
      answers.delete(position);
      return at ?? null;
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (!child.connected) return resolve();
              const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              child.send({ stop: true });
            }),
        ),
      );
    },
  };
}

/**
 * Scenario 4. Appends the saga's events at a steady rate (open loop: on schedule, whether or not
 * earlier appends have finished) while the real consumers run in their own processes, as many as
 * docker-compose runs, sharing the work through their leases. For each event: from the start of
 * its append until (ours) the orders read model holds it, in whichever process holds that
 * projection (its write has completed, as the projection's own `caughtUp` reports there), and
 * (baseline) a bare `watch()` on the same events collection, in the appending process, receives
 * its insert. Both observe the same inserts in the same run.
 */
export async function lagScenario(
  db: Db,
  uri: string,
  options: {
    rates: number[];
    seconds: number;
    sustained?: { rate: number; seconds: number };
    projectors?: number;
    profileFile?: string;
  },
) {
  const store = createEventStore(db);
  await store.ensureIndexes();
  const projectorCount = options.projectors ?? LAG_PROJECTORS;
  const projectors = await startProjectors(uri, db.databaseName, projectorCount, options.profileFile);
  const received = new Map<number, number>();
  const bare = db.collection('events').watch([{ $match: { operationType: 'insert' } }]);
  bare.on('change', (change: any) => {
    const position = change.fullDocument?.position;
    if (typeof position === 'number') received.set(position, wallClock());
  });
  bare.on('error', (err) => log(`lag: bare change stream failed: ${String(err)}`));

  // Warm-up: one order through everything, asked again until the projection's holder has started.
  const warm = randomUUID();
  let last = 0;
  for (const e of sagaEvents(warm))
    last = (await store.append(e.streamId, [{ type: e.type, data: e.data }], { streamType: e.streamType }))
      .lastPosition;
  let warmedUp = false;
  for (let i = 0; i < 60 && !warmedUp; i++) warmedUp = (await projectors.applied(last, 500)) !== null;
  if (!warmedUp) throw new Error('the orders projection did not start in any projector process');

  const rows: LagRow[] = [];
  const runs = [
    ...options.rates.map((rate) => ({ rate, seconds: options.seconds })),
    ...(options.sustained ? [options.sustained] : []),
  ];
  for (const { rate, seconds } of runs) {
    const total = Math.round(rate * seconds);
    const ours: number[] = [];
    const overTime: Array<[number, number]> = [];
    const bareLags: number[] = [];
    const appendLags: number[] = [];
    const appendOverTime: Array<[number, number]> = [];
    const bareOverTime: Array<[number, number]> = [];
    let missed = 0;
    const waits: Promise<void>[] = [];
    let order = randomUUID();
    let queue = sagaEvents(order);
    const t0 = wallClock();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - wallClock();
      if (wait > 1) await sleep(wait);
      if (queue.length === 0) {
        order = randomUUID();
        queue = sagaEvents(order);
      }
      const e = queue.shift()!;
      waits.push(
        (async () => {
          const start = wallClock();
          const result = await store.append(
            e.streamId,
            [{ type: e.type, data: e.data, eventId: deterministicEventId('lag', e.streamId, e.type) }],
            { streamType: e.streamType },
          );
          const position = result.lastPosition;
          appendLags.push(wallClock() - start);
          appendOverTime.push([(start - t0) / 1000, wallClock() - start]);
          const at = await projectors.applied(position, 90_000);
          if (at === null) {
            missed++;
            return;
          }
          ours.push(at - start);
          overTime.push([(start - t0) / 1000, at - start]);
          // The bare stream normally has it long before; wait a little if not.
          for (let k = 0; k < 600 && !received.has(position); k++) await sleep(5);
          const seen = received.get(position);
          if (seen === undefined) missed++;
          else {
            bareLags.push(Math.max(0, seen - start));
            bareOverTime.push([(start - t0) / 1000, Math.max(0, seen - start)]);
          }
          received.delete(position);
        })(),
      );
    }
    const achieved = total / ((wallClock() - t0) / 1000);
    await Promise.all(waits);
    const row: LagRow = {
      eventsPerSecond: rate,
      achievedPerSecond: Math.round(achieved * 10) / 10,
      events: total,
      projectors: projectorCount,
      oursMs: summarize(ours),
      appendMs: summarize(appendLags),
      bareChangeStreamMs: summarize(bareLags),
      p50Ratio: 0,
      p99Ratio: 0,
      missed,
      slopeMsPerSecond: Math.round(slope(overTime) * 100) / 100,
      bareSlopeMsPerSecond: Math.round(slope(bareOverTime) * 100) / 100,
      appendSlopeMsPerSecond: Math.round(slope(appendOverTime) * 100) / 100,
      seconds,
      timeline: timeline(appendOverTime, overTime),
    };
    row.p50Ratio = ratio(row.oursMs.p50, row.bareChangeStreamMs.p50);
    row.p99Ratio = ratio(row.oursMs.p99, row.bareChangeStreamMs.p99);
    log(
      `lag: ${rate}/s ours p50 ${row.oursMs.p50} p99 ${row.oursMs.p99} ms | bare watch p50 ${row.bareChangeStreamMs.p50} p99 ${row.bareChangeStreamMs.p99} ms | append itself p50 ${row.appendMs.p50} p99 ${row.appendMs.p99} ms | p99 ratio ${row.p99Ratio} | achieved ${row.achievedPerSecond}/s over ${seconds} s, lag slope ${row.slopeMsPerSecond} ms/s (bare watch ${row.bareSlopeMsPerSecond}, append ${row.appendSlopeMsPerSecond}), ${projectorCount} projector processes`,
    );
    if (row.slopeMsPerSecond > 50)
      log(
        `lag: ${rate}/s over time (from s: append p50/max, ours p50/max ms) ${row.timeline.map((t) => `${t.fromSecond}: ${Math.round(t.appendP50)}/${Math.round(t.appendMax)}, ${Math.round(t.oursP50)}/${Math.round(t.oursMax)}`).join(' | ')}`,
      );
    rows.push(row);
    received.clear();
  }
  await bare.close();
  await projectors.stop();
  return { rows };
}
