import os from 'node:os';
import type { Client } from '@temporalio/client';
import { createApiClient } from '../../api/client';
import { createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import type { SplitStack } from '../lib/split-stack';
import { log, median, now, round, sleep, summarize, type LatencySummary } from '../lib/util';

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const PRICE = 100;
/** Requests per order at most (see `place`). */
const PLACE_TRIES = 6;

export interface FairnessOptions {
  /** Orders of the one customer who floods. */
  flood: number;
  /** The other customers, and the orders each places at once. */
  customers: number;
  ordersEach: number;
  /** How many of the flood's orders are placed at a time (a client's connection pool, not the whole flood in one burst). */
  floodConcurrency: number;
  /**
   * The worker's activity task slots (WORKER_MAX_ACTIVITY_SLOTS), which make tasks wait in the
   * queue; and its workflow task slots, when capped too.
   */
  slots: { activity: number; workflowTask?: number };
}

export interface FairnessResult {
  options: FairnessOptions;
  /** The other customers' orders, placing to completion: alone, then while the flood runs. */
  withoutFlood: LatencySummary;
  withFlood: LatencySummary;
  /** withFlood.p95 / withoutFlood.p95: the goal is at most 2. */
  p95Ratio: number;
  /** The flood's own orders, placing to completion. */
  flood: LatencySummary;
  /** The flood's orders still unfinished when the other customers' last order completed. */
  floodLeftWhenOthersDone: number;
  /** Median wait of a task in the queue (scheduled to started), from the histories, while the flood ran. */
  queueWaitMs: { activity: { others: number; flood: number }; workflowTask: { others: number; flood: number } };
  notCompleted: number;
  seconds: number;
  loadAverage: { start: number; end: number };
}

/** Every activity task's and workflow task's wait in the queue (scheduled to started), from the histories. */
async function queueWaits(client: Client, workflowIds: string[]) {
  const activity: number[] = [];
  const workflowTask: number[] = [];
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
    const byId = new Map(events.map((e) => [String(e.eventId), e]));
    for (const e of events) {
      const scheduledActivity = byId.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId));
      if (scheduledActivity) activity.push(at(e) - at(scheduledActivity));
      const scheduledTask = byId.get(String(e.workflowTaskStartedEventAttributes?.scheduledEventId));
      if (scheduledTask) workflowTask.push(at(e) - at(scheduledTask));
    }
  }
  return { activity: round(median(activity), 0), workflowTask: round(median(workflowTask), 0) };
}

/**
 * Scenario: fairness between customers. The worker runs with capped task slots, so tasks wait in
 * the queue, where Temporal's fairness takes the customers (their pseudonyms, the sagas' fairness
 * keys) in turns. The other customers place their orders alone first, then again once the flood
 * has a backlog in the queue; their p95 from placing to completion with the flood is compared to
 * the one without, in the same run. The caller starts the stack with the slot caps
 * (WORKER_MAX_ACTIVITY_SLOTS, WORKER_MAX_WORKFLOW_TASK_SLOTS).
 */
export async function fairnessScenario(stack: SplitStack, options: FairnessOptions): Promise<FairnessResult> {
  const api = createApiClient({ baseUrl: stack.baseUrl });
  const accounts = createAccountService({ store: createEventStore(stack.mongo.db) });
  const open = async (owner: string) => (await accounts.openAccount({ owner, initialDeposit: 10 * PRICE })).accountId;
  const sku = 'FAIR-1';
  const total = options.flood + 2 * options.customers * options.ordersEach + 10;
  const stocked = await api.POST('/inventory', { body: { sku, quantity: total, price: PRICE } });
  if (stocked.response.status !== 200) throw new Error(`restock failed: ${stocked.response.status}`);

  let seq = 0;
  /** Places one order; a request the overloaded API refused (503, 500, 409) is asked again with the same key. */
  const placeOnly = async (customerId: string, accountId: string) => {
    const started = now();
    const key = `fairness-${seq++}`;
    const body = { customerId, accountId, items: [{ sku, quantity: 1 }], shippingAddress: address };
    let answer = await api.POST('/orders', { params: { header: { 'idempotency-key': key } }, body });
    for (let tries = 1; tries < PLACE_TRIES && [409, 500, 503].includes(answer.response.status); tries++) {
      await sleep(1_000);
      answer = await api.POST('/orders', { params: { header: { 'idempotency-key': key } }, body });
    }
    if (answer.response.status !== 202 || !answer.data)
      throw new Error(`POST /orders answered ${answer.response.status}: ${JSON.stringify(answer.error)}`);
    return { workflowId: answer.data.workflowId, started };
  };
  /** Follows a placed order to its result: the time from placing to completion. */
  const follow = async ({ workflowId, started }: { workflowId: string; started: number }) => {
    // A saga that fails is counted as not completed, not thrown: the flood's are followed unawaited.
    const status = await stack.client.workflow
      .getHandle(workflowId)
      .result()
      .then(
        (r: { status: string }) => r.status,
        (err: unknown) => `FAILED: ${String(err)}`,
      );
    return { workflowId, status, ms: now() - started, completedAt: now() };
  };
  const place = async (customerId: string, accountId: string) => follow(await placeOnly(customerId, accountId));

  // An account per order: the flood's payments must not contend on one account's stream, which
  // would slow the flood for a reason of its own and hide what the queue does.
  const others = Array.from({ length: options.customers }, (_, i) => `customer-${i}`);
  const otherAccounts = async () =>
    Promise.all(others.flatMap((c) => Array.from({ length: options.ordersEach }, async () => [c, await open(c)])));
  const floodAccounts = await Promise.all(Array.from({ length: options.flood }, () => open('flood')));
  const othersPlace = async () => Promise.all((await otherAccounts()).map(([c, a]) => place(c!, a!)));

  const loadStart = os.loadavg()[0]!;
  const t0 = now();
  // Warm-up: a cold worker and API would count against the first measurement only.
  await Promise.all(Array.from({ length: 4 }, async () => place('warm-up', await open('warm-up'))));

  log(`fairness: ${options.customers} customers x ${options.ordersEach} orders, alone`);
  const alone = await othersPlace();

  log(`fairness: a flood of ${options.flood} orders from one customer, then the same customers again`);
  // The flood is placed as fast as the API takes it (floodConcurrency requests at a time), each
  // order followed to its result apart: a flood does not wait for its orders to finish.
  let next = 0;
  const following: Array<ReturnType<typeof follow>> = [];
  const placing = Promise.all(
    Array.from({ length: options.floodConcurrency }, async () => {
      while (next < options.flood) {
        const account = floodAccounts[next++]!;
        following.push(follow(await placeOnly('flood', account)));
      }
    }),
  );
  // The others start once a fifth of the flood is placed (its first steps done, the rest queued behind them).
  const backlog = Math.min(options.flood, Math.max(options.floodConcurrency, Math.round(options.flood / 5)));
  while (following.length < backlog) await sleep(100);
  const withFlood = await othersPlace();
  const othersDoneAt = Math.max(...withFlood.map((o) => o.completedAt));
  await placing;
  const floodOutcomes = await Promise.all(following);
  const seconds = (now() - t0) / 1000;
  const floodLeftWhenOthersDone = floodOutcomes.filter((o) => o.completedAt > othersDoneAt).length;
  // A sample of the flood's histories is enough for the median (reading all of them takes long).
  const floodSample = floodOutcomes.slice(0, 100).map((o) => o.workflowId);
  const [othersWaits, floodWaits] = [
    await queueWaits(
      stack.client,
      withFlood.map((o) => o.workflowId),
    ),
    await queueWaits(stack.client, floodSample),
  ];
  const queueWaitMs = {
    activity: { others: othersWaits.activity, flood: floodWaits.activity },
    workflowTask: { others: othersWaits.workflowTask, flood: floodWaits.workflowTask },
  };
  const all = [...alone, ...withFlood, ...floodOutcomes];
  const withoutFlood = summarize(alone.map((o) => o.ms));
  const withFloodSummary = summarize(withFlood.map((o) => o.ms));
  const result: FairnessResult = {
    options,
    withoutFlood,
    withFlood: withFloodSummary,
    p95Ratio: round(withFloodSummary.p95 / withoutFlood.p95),
    flood: summarize(floodOutcomes.map((o) => o.ms)),
    floodLeftWhenOthersDone,
    queueWaitMs,
    notCompleted: all.filter((o) => o.status !== 'COMPLETED').length,
    seconds: round(seconds, 1),
    loadAverage: { start: round(loadStart), end: round(os.loadavg()[0]!) },
  };
  log(
    `fairness: others' p95 ${round(withoutFlood.p95, 0)} ms alone, ${round(withFloodSummary.p95, 0)} ms with the flood (x${result.p95Ratio}); ` +
      `flood p95 ${round(result.flood.p95, 0)} ms, ${floodLeftWhenOthersDone} of its orders still running when the others were done; ` +
      `median queue wait of an activity task ${queueWaitMs.activity.others} ms (others) vs ${queueWaitMs.activity.flood} ms (flood), ` +
      `of a workflow task ${queueWaitMs.workflowTask.others} vs ${queueWaitMs.workflowTask.flood} ms; load ${result.loadAverage.start} -> ${result.loadAverage.end}`,
  );
  return result;
}
