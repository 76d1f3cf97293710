import os from 'node:os';
import { createApiClient } from '../../api/client';
import { createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import { cpuWindow, type CpuReport } from '../lib/cpu';
import { stockProblems, type OrderOutcome, type StockAfter } from '../lib/hot-sku-check';
import type { HotSkuRound } from '../lib/render-load';
import type { SplitStack } from '../lib/split-stack';
import { log, now, round, summarize } from '../lib/util';

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

/** A round of the scenario: what the report shows, and the CPU it took. */
export type HotSkuRun = HotSkuRound & { cpu: CpuReport };

/**
 * Scenario: 64 concurrent orders (C = orders, one order each) for one SKU stocked for half of
 * them, beside the same on 64 SKUs stocked for every order. Every order is started at once
 * through `POST /orders` and followed to its result. After each run the stock is read back and
 * checked (bench/lib/hot-sku-check.ts): a broken promise fails the scenario.
 */
export async function hotSkuScenario(
  stack: SplitStack,
  options: { orders: number; rounds: number },
): Promise<{ runs: HotSkuRun[] }> {
  const api = createApiClient({ baseUrl: stack.baseUrl });
  const accounts = createAccountService({ store: createEventStore(stack.mongo.db) });
  const accountIds: string[] = [];
  for (let i = 0; i < options.orders; i++)
    accountIds.push((await accounts.openAccount({ owner: `hot-${i}`, initialDeposit: 1_000_000_000 })).accountId);
  const restock = async (sku: string, quantity: number) => {
    const { error, response } = await api.POST('/inventory', { body: { sku, quantity, price: 100 } });
    if (response.status !== 200) throw new Error(`restock failed: ${response.status} ${JSON.stringify(error)}`);
  };
  const targets = stack.cpuTargets;
  const place = async (i: number, sku: string) => {
    const {
      data: placed,
      error,
      response,
    } = await api.POST('/orders', {
      body: {
        customerId: `hot-${i}`,
        accountId: accountIds[i]!,
        items: [{ sku, quantity: 1 }],
        shippingAddress: address,
      },
    });
    if (response.status !== 202 || !placed)
      throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(error)}`);
    return { placed, result: await stack.client.workflow.getHandle(placed.workflowId).result() };
  };
  // A few orders first, so neither kind's first run pays for a cold worker and API.
  await restock('WARM', options.orders);
  await Promise.all(Array.from({ length: Math.min(8, options.orders) }, (_, i) => place(i, 'WARM')));

  const runOnce = async (kind: HotSkuRun['kind'], r: number): Promise<HotSkuRun> => {
    const hot = kind === 'one SKU';
    const skuOf = (i: number) => (hot ? `HOT-${r}` : `SPREAD-${r}-${i.toString().padStart(2, '0')}`);
    const stocked = hot ? Math.floor(options.orders / 2) : 1;
    const skus = hot ? [skuOf(0)] : Array.from({ length: options.orders }, (_, i) => skuOf(i));
    for (const sku of skus) await restock(sku, stocked);
    const loadAverage = os.loadavg()[0]!;
    const cpu = cpuWindow(targets);
    const t0 = now();
    const outcomes: Array<OrderOutcome & { ms: number; workflowId: string }> = await Promise.all(
      Array.from({ length: options.orders }, async (_, i) => {
        const started = now();
        const sku = skuOf(i);
        const { placed, result } = await place(i, sku);
        return {
          orderId: placed.orderId,
          workflowId: placed.workflowId,
          sku,
          quantity: 1,
          status: result.status,
          failureReason: result.failureReason,
          ms: now() - started,
        };
      }),
    );
    const seconds = (now() - t0) / 1000;
    const window = cpu.stop();
    const stock: StockAfter[] = [];
    for (const sku of skus) {
      const { data: level, response } = await api.GET('/inventory/{sku}', { params: { path: { sku } } });
      if (response.status !== 200 || !level) throw new Error(`GET /inventory/${sku} answered ${response.status}`);
      stock.push({ sku, initial: stocked, available: level.available, reserved: level.reserved });
    }
    const problems = stockProblems(outcomes, stock);
    if (problems.length)
      throw new Error(
        `hot-sku (${kind}, round ${r + 1}): ${problems.length} broken promise(s): ${problems.slice(0, 5).join('; ')}`,
      );
    const retriesByActivity: Record<string, number> = {};
    for (const o of outcomes) {
      const events = (await stack.client.workflow.getHandle(o.workflowId).fetchHistory()).events ?? [];
      const byId = new Map(events.map((e) => [String(e.eventId), e]));
      for (const e of events) {
        const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
        if (attempt <= 1) continue;
        const scheduled = byId.get(String(e.activityTaskStartedEventAttributes!.scheduledEventId));
        const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        retriesByActivity[name] = (retriesByActivity[name] ?? 0) + attempt - 1;
      }
    }
    const completed = outcomes.filter((o) => o.status === 'COMPLETED');
    const cancelled = outcomes.filter((o) => o.status !== 'COMPLETED');
    const retries = Object.values(retriesByActivity).reduce((a, b) => a + b, 0);
    const run: HotSkuRun = {
      kind,
      round: r + 1,
      orders: outcomes.length,
      stocked,
      completed: completed.length,
      cancelled: cancelled.length,
      seconds: round(seconds),
      completedPerSecond: round(completed.length / seconds),
      completedMs: summarize(completed.map((o) => o.ms)),
      completedLatenciesMs: completed.map((o) => round(o.ms)),
      cancelledMs: summarize(cancelled.map((o) => o.ms)),
      retriesPerOrder: round(retries / outcomes.length, 3),
      retriesByActivity,
      loadAverage: round(loadAverage),
      cpu: window,
    };
    log(
      `hot-sku: ${kind} round ${r + 1}: ${run.completed} completed, ${run.cancelled} cancelled in ${run.seconds} s; completed p50 ${run.completedMs.p50} ms p99 ${run.completedMs.p99} ms; retries per order ${run.retriesPerOrder} (load ${run.loadAverage}); stock conserved`,
    );
    return run;
  };

  const runs: HotSkuRun[] = [];
  // Alternating, so a change in outside load falls on both kinds.
  for (let r = 0; r < options.rounds; r++) {
    runs.push(await runOnce('one SKU per order', r));
    runs.push(await runOnce('one SKU', r));
  }
  return { runs };
}
