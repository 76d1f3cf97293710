import { BASELINE_WORKFLOW_NAMES, type NoopSagaWorkflow } from '../baseline/client';
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import { physicalName, projectionState } from '../../projections/generations';
import { cpuWindow, type CpuReport } from '../lib/cpu';
import { serverProcesses } from '../lib/machine';
import { http, type BenchStack } from '../lib/stack';
import { closedLoop, log, now, ratio, round, sleep, summarize, type LatencySummary } from '../lib/util';

export interface SagaLevelResult {
  concurrency: number;
  ours: { orders: number; seconds: number; perSecond: number; latencyMs: LatencySummary; failed: number; cpu: CpuReport };
  baseline: { workflows: number; seconds: number; perSecond: number; latencyMs: LatencySummary; failed: number; cpu: CpuReport };
  throughputRatio: number;
  p50Ratio: number;
  p99Ratio: number;
}

export interface SagaOptions {
  levels: Array<{ concurrency: number; orders: number }>;
  warmup: number;
  /** Ids of a few completed sagas, kept for the replay scenario. */
  keepWorkflowIds?: number;
  /** Only our side (the profiling run). */
  oursOnly?: boolean;
}

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const SKUS = Array.from({ length: 20 }, (_, i) => `BENCH-${i.toString().padStart(2, '0')}`);

/**
 * Scenario 1. Ours: POST /orders, then wait until GET /orders/:id answers COMPLETED. Baseline: the
 * bench-only five-no-op-activity workflow started with the client, start -> result. Same Temporal
 * server, same worker settings, same process; each level runs the baseline, then ours.
 */
export async function sagaScenario(stack: BenchStack, options: SagaOptions) {
  const { db } = stack.mongo;
  const procs = serverProcesses(stack.config.MONGODB_URI!, stack.config.TEMPORAL_ADDRESS!);
  const cpuTargets = [
    { name: 'bench process (worker + API + consumers + load)', pid: process.pid, threads: true },
    { name: 'MongoDB server', pid: procs.java?.pid },
    { name: 'Temporal dev server', pid: procs.temporal?.pid },
  ];

  log('saga: stocking 20 SKUs and opening accounts');
  for (const sku of SKUS) {
    const res = await http(stack.baseUrl, 'POST', '/inventory', { sku, quantity: 1_000_000, price: 100 });
    if (res.status !== 200) throw new Error(`restock failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const maxC = Math.max(...options.levels.map((l) => l.concurrency));
  const accounts = createAccountService({ store: createEventStore(db) });
  const accountIds: string[] = [];
  for (let i = 0; i < maxC; i++) accountIds.push((await accounts.openAccount({ owner: `bench-${i}`, initialDeposit: 1_000_000_000 })).accountId);

  const visibility = startVisibilityPoller(stack, db);
  const orderOnce = async (user: number, i: number): Promise<number> => {
    const t0 = now();
    const res = await http(stack.baseUrl, 'POST', '/orders', {
      customerId: `cust-${user}`,
      accountId: accountIds[user % accountIds.length],
      items: [{ sku: SKUS[i % SKUS.length], quantity: 1 }],
      shippingAddress: address,
    });
    if (res.status !== 202) throw new Error(`POST /orders answered ${res.status}: ${JSON.stringify(res.body)}`);
    await visibility.completed(res.body.orderId);
    return now() - t0;
  };
  const baselineIds: string[] = [];
  const baselineOnce = async (): Promise<number> => {
    const t0 = now();
    const workflowId = `bench-noop-${randomUUID()}`;
    if (baselineIds.length < 10) baselineIds.push(workflowId);
    const handle = await stack.client.workflow.start<NoopSagaWorkflow>(BASELINE_WORKFLOW_NAMES.noopSaga, {
      taskQueue: stack.baselineTaskQueue,
      workflowId,
      args: [{ orderId: randomUUID() }],
    });
    await handle.result();
    return now() - t0;
  };

  log(`saga: warm-up (${options.warmup} orders and ${options.warmup} baseline workflows)`);
  await closedLoop(options.warmup, Math.min(4, options.warmup), async (i) => void (await orderOnce(i % maxC, i)));
  if (!options.oursOnly) await closedLoop(options.warmup, Math.min(4, options.warmup), async () => void (await baselineOnce()));

  const levels: SagaLevelResult[] = [];
  for (const { concurrency, orders } of options.levels) {
    // The baseline runs without our consumers, whose change streams keep the MongoDB stand-in busy even when idle.
    let base: Awaited<ReturnType<typeof measure>> | undefined;
    if (!options.oursOnly) {
      await stack.pauseConsumers();
      await sleep(300);
      log(`saga: C=${concurrency} baseline, ${orders} no-op workflows`);
      base = await measure(orders, concurrency, () => baselineOnce(), cpuTargets);
      await stack.resumeConsumers();
    }
    base ??= { seconds: NaN, perSecond: NaN, latency: summarize([]), failed: 0, cpu: { seconds: 0, processes: [], machineBusyCores: null } };
    await sleep(300);
    log(`saga: C=${concurrency} ours, ${orders} orders (POST /orders -> COMPLETED in GET /orders/:id)`);
    const ours = await measure(orders, concurrency, (u, i) => orderOnce(u, i), cpuTargets);
    const level: SagaLevelResult = {
      concurrency,
      ours: { orders, seconds: ours.seconds, perSecond: ours.perSecond, latencyMs: ours.latency, failed: ours.failed, cpu: ours.cpu },
      baseline: { workflows: orders, seconds: base.seconds, perSecond: base.perSecond, latencyMs: base.latency, failed: base.failed, cpu: base.cpu },
      throughputRatio: ratio(ours.perSecond, base.perSecond),
      p50Ratio: ratio(ours.latency.p50, base.latency.p50),
      p99Ratio: ratio(ours.latency.p99, base.latency.p99),
    };
    log(
      `saga: C=${concurrency} ours ${ours.perSecond}/s p50 ${ours.latency.p50} ms p99 ${ours.latency.p99} ms | baseline ${base.perSecond}/s p50 ${base.latency.p50} ms | ratio ${level.throughputRatio}`,
    );
    levels.push(level);
  }
  visibility.stop();

  // A few completed sagas of this run, for the replay scenario.
  const keep = options.keepWorkflowIds ?? 3;
  const ids = visibility.completedIds().slice(-keep).map((orderId) => `order-${orderId}`);
  return { levels, workflowIds: ids, baselineWorkflowIds: baselineIds.slice(-keep), idle: options.oursOnly ? null : await idleCpu(stack, cpuTargets) };
}

async function measure(
  total: number,
  concurrency: number,
  once: (user: number, i: number) => Promise<number>,
  cpuTargets: Parameters<typeof cpuWindow>[0],
) {
  const latencies: number[] = [];
  let failed = 0;
  const cpu = cpuWindow(cpuTargets);
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, user) => {
      while (next < total) {
        const i = next++;
        try {
          latencies.push(await once(user, i));
        } catch (err) {
          failed++;
          if (failed <= 3) log(`  failure: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  const seconds = (now() - t0) / 1000;
  return { seconds: round(seconds), perSecond: round(latencies.length / seconds), latency: summarize(latencies), failed, cpu: cpu.stop() };
}

/** CPU burnt by the servers with nothing to do: once with our consumers running, once without. */
async function idleCpu(stack: BenchStack, cpuTargets: Parameters<typeof cpuWindow>[0]) {
  const sample = async () => {
    const w = cpuWindow(cpuTargets);
    await sleep(3_000);
    return w.stop();
  };
  const withConsumers = await sample();
  await stack.pauseConsumers();
  const withoutConsumers = await sample();
  await stack.resumeConsumers();
  return { withConsumers, withoutConsumers };
}

/**
 * Finds out when orders become COMPLETED in the read model without flooding the API: one batched
 * read of the read-model collection every 10 ms ({ _id: { $in } }: served by the _id index on every
 * server), and for each order seen COMPLETED there, GET /orders/:id — the time that GET answers
 * COMPLETED is the end of the measured latency.
 */
function startVisibilityPoller(stack: BenchStack, db: Db) {
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void; since: number; checking: boolean }>();
  const done: string[] = [];
  let stopped = false;
  let collectionName: string | undefined;

  const loop = async () => {
    while (!stopped) {
      await sleep(10);
      if (pending.size === 0) continue;
      try {
        collectionName ??= physicalName('orders', 'orders', (await projectionState(db, 'orders')).active);
        const ids = [...pending.entries()].filter(([, p]) => !p.checking).map(([id]) => id);
        if (ids.length === 0) continue;
        const docs = await db.collection<{ _id: string; status: string }>(collectionName).find({ _id: { $in: ids } }, { projection: { status: 1 } }).toArray();
        for (const doc of docs) {
          if (doc.status !== 'COMPLETED' && doc.status !== 'CANCELLED') continue;
          const entry = pending.get(doc._id);
          if (!entry) continue;
          entry.checking = true;
          void http(stack.baseUrl, 'GET', `/orders/${doc._id}`).then(
            (res) => {
              entry.checking = false;
              if (res.status === 200 && res.body.status === 'COMPLETED') {
                pending.delete(doc._id);
                done.push(doc._id);
                entry.resolve();
              } else if (res.status === 200 && res.body.status === 'CANCELLED') {
                pending.delete(doc._id);
                entry.reject(new Error(`order ${doc._id} was CANCELLED: ${res.body.failureReason}`));
              }
            },
            () => (entry.checking = false),
          );
        }
        for (const [id, entry] of pending) {
          if (now() - entry.since > 120_000) {
            pending.delete(id);
            entry.reject(new Error(`order ${id} not COMPLETED in the read model within 120 s`));
          }
        }
      } catch (err) {
        log(`  visibility poll failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  void loop();
  return {
    completed: (orderId: string) => new Promise<void>((resolve, reject) => pending.set(orderId, { resolve, reject, since: now(), checking: false })),
    completedIds: () => [...done],
    stop: () => {
      stopped = true;
    },
  };
}
