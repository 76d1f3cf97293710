import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { startConsumers } from '../../consumers';
import { createEventStore, deterministicEventId } from '../../eventstore';
import { createLogger } from '../../infra/logger';
import { log, now, ratio, sleep, summarize, type LatencySummary } from '../lib/util';

export interface LagRow {
  eventsPerSecond: number;
  achievedPerSecond: number;
  events: number;
  oursMs: LatencySummary;
  bareChangeStreamMs: LatencySummary;
  p50Ratio: number;
  p99Ratio: number;
  missed: number;
  /** Least-squares slope of ours' lag over the run, in ms of lag per second: ~0 means it keeps up. */
  slopeMsPerSecond: number;
  seconds: number;
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
    { streamId: `order-${orderId}`, streamType: 'order', type: 'OrderCreated', data: { orderId, customerId: 'c', accountId: 'a', items, total: 100, shippingAddress: {}, requiresApproval: false } },
    { streamId: `payment-${orderId}`, streamType: 'payment', type: 'PaymentCompleted', data: { orderId, accountId: 'a', amount: 100 } },
    { streamId: `reservation-${orderId}`, streamType: 'reservation', type: 'ItemsReserved', data: { orderId, items: [{ sku: 'LAG-1', quantity: 1 }] } },
    { streamId: `shipment-${orderId}`, streamType: 'shipment', type: 'ShipmentScheduled', data: { orderId, trackingId: 'T', address: {} } },
    { streamId: `order-${orderId}`, streamType: 'order', type: 'OrderCompleted', data: { orderId, customerId: 'c', total: 100, items } },
  ];
}

/**
 * Scenario 4. Appends the saga's events at a steady rate (open loop: on schedule, whether or not
 * earlier appends have finished) while the real consumers run (projector + email). For each event:
 * from the start of its append until (ours) the orders projection has applied it — its read-model
 * write has completed, as the projection's own `caughtUp` reports — and (baseline) a bare
 * `watch()` on the same events collection receives its insert. Both observe the same inserts in
 * the same run.
 */
export async function lagScenario(db: Db, options: { rates: number[]; seconds: number; sustained?: { rate: number; seconds: number } }) {
  const store = createEventStore(db);
  await store.ensureIndexes();
  // As in production: fault injection off, so it costs nothing.
  const consumers = await startConsumers(db, createLogger('consumers-bench', 'silent'), { faultInjection: false });
  const received = new Map<number, number>();
  const bare = db.collection('events').watch([{ $match: { operationType: 'insert' } }]);
  bare.on('change', (change: any) => {
    const position = change.fullDocument?.position;
    if (typeof position === 'number') received.set(position, now());
  });
  bare.on('error', (err) => log(`lag: bare change stream failed: ${String(err)}`));

  const projector = async () => {
    for (let i = 0; i < 200; i++) {
      const live = consumers.projector.live('orders');
      if (live) return live;
      await sleep(25);
    }
    throw new Error('the orders projection did not start');
  };
  const orders = await projector();

  // Warm-up: one order through everything.
  const warm = randomUUID();
  let last = 0;
  for (const e of sagaEvents(warm)) last = (await store.append(e.streamId, [{ type: e.type, data: e.data }], { streamType: e.streamType })).lastPosition;
  await orders.caughtUp(last, 30_000);

  const rows: LagRow[] = [];
  const runs = [...options.rates.map((rate) => ({ rate, seconds: options.seconds })), ...(options.sustained ? [options.sustained] : [])];
  for (const { rate, seconds } of runs) {
    const total = Math.round(rate * seconds);
    const ours: number[] = [];
    const overTime: Array<[number, number]> = [];
    const bareLags: number[] = [];
    let missed = 0;
    const waits: Promise<void>[] = [];
    let order = randomUUID();
    let queue = sagaEvents(order);
    const t0 = now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      if (queue.length === 0) {
        order = randomUUID();
        queue = sagaEvents(order);
      }
      const e = queue.shift()!;
      waits.push(
        (async () => {
          const start = now();
          const result = await store.append(e.streamId, [{ type: e.type, data: e.data, eventId: deterministicEventId('lag', e.streamId, e.type) }], { streamType: e.streamType });
          const position = result.lastPosition;
          const ok = await orders.caughtUp(position, 60_000);
          if (!ok) {
            missed++;
            return;
          }
          ours.push(now() - start);
          overTime.push([(start - t0) / 1000, now() - start]);
          // The bare stream normally has it long before; wait a little if not.
          for (let k = 0; k < 600 && !received.has(position); k++) await sleep(5);
          const at = received.get(position);
          if (at === undefined) missed++;
          else bareLags.push(Math.max(0, at - start));
        })(),
      );
    }
    const achieved = total / ((now() - t0) / 1000);
    await Promise.all(waits);
    const row: LagRow = {
      eventsPerSecond: rate,
      achievedPerSecond: Math.round(achieved * 10) / 10,
      events: total,
      oursMs: summarize(ours),
      bareChangeStreamMs: summarize(bareLags),
      p50Ratio: 0,
      p99Ratio: 0,
      missed,
      slopeMsPerSecond: Math.round(slope(overTime) * 100) / 100,
      seconds,
    };
    row.p50Ratio = ratio(row.oursMs.p50, row.bareChangeStreamMs.p50);
    row.p99Ratio = ratio(row.oursMs.p99, row.bareChangeStreamMs.p99);
    log(`lag: ${rate}/s ours p50 ${row.oursMs.p50} p99 ${row.oursMs.p99} ms | bare watch p50 ${row.bareChangeStreamMs.p50} p99 ${row.bareChangeStreamMs.p99} ms | p99 ratio ${row.p99Ratio} | achieved ${row.achievedPerSecond}/s over ${seconds} s, lag slope ${row.slopeMsPerSecond} ms/s`);
    rows.push(row);
    received.clear();
  }
  await bare.close();
  await consumers.stop();
  return { rows };
}
