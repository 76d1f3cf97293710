import os from 'node:os';
import type { Client } from '@temporalio/client';
import { createApiClient } from '../../api/client';
import { createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import type { SplitStack } from '../lib/split-stack';
import { compareFairnessRounds, fairnessRoundPlan, type FairnessRound } from '../lib/fairness-rounds';
import { log, median, now, round, sleep, summarize, type LatencySummary } from '../lib/util';

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const PRICE = 100;
/** Requests per order at most (see `place`). */
const PLACE_TRIES = 6;

export interface FairnessOptions {
  /** Orders of the one customer who floods, per flood round. */
  flood: number;
  /** The other customers, and the orders each places at once, per round. */
  customers: number;
  ordersEach: number;
  /** How many of the flood's orders are placed at a time (a client's connection pool, not the whole flood in one burst). */
  floodConcurrency: number;
  /** Flood rounds, each between two rounds of the other customers alone. */
  floodRounds: number;
  /**
   * The worker's activity task slots (WORKER_MAX_ACTIVITY_SLOTS), which make tasks wait in the
   * queue; and its workflow task slots, when capped too.
   */
  slots: { activity: number; workflowTask?: number };
}

export interface FairnessRoundResult {
  kind: FairnessRound['kind'];
  /** The other customers' orders, placing to completion. */
  others: LatencySummary;
  /** The same orders from the API's answer (202) to completion: what the queue and the worker took. */
  othersAfterPlacing: LatencySummary;
  /** Flood rounds: the flood's own orders, placing to completion, and its backlog when the others began. */
  flood?: LatencySummary;
  /** The flood's orders not yet completed when the others placed theirs, and when the others were done. */
  floodRunningWhenOthersBegan?: number;
  floodLeftWhenOthersDone?: number;
  /** Median wait of a task in the queue (scheduled to started), from the histories; the flood's in flood rounds only. */
  queueWaitMs: { activity: { others: number; flood?: number }; workflowTask: { others: number; flood?: number } };
  seconds: number;
  loadAverage: { start: number; end: number };
}

export interface FairnessResult {
  options: FairnessOptions;
  rounds: FairnessRoundResult[];
  /** Per flood round: the others' p95 over that of the alone rounds beside it. */
  perRoundRatios: number[];
  /** The median of perRoundRatios: the goal is at most 2. */
  p95Ratio: number;
  /** The others' p95 over every alone round's orders, and over every flood round's, and the one over the other. */
  withoutFlood: { p95: number };
  withFlood: { p95: number };
  pooledRatio: number;
  /** How the first flood round's sagas carried their priority (checked in the histories). */
  priority: { started: unknown; activityScheduled: unknown[] };
  notCompleted: number;
  seconds: number;
  loadAverage: { start: number; end: number };
}

type Outcome = { workflowId: string; status: string; ms: number; afterPlacingMs: number; completedAt: number };

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

/** The priority a saga started with, and what its activities were scheduled with (empty: inherited from the saga). */
async function priorityOf(client: Client, workflowId: string) {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes?.priority ?? null;
  const activityScheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({
      activity: e.activityTaskScheduledEventAttributes!.activityType?.name,
      priority: e.activityTaskScheduledEventAttributes!.priority ?? null,
    }));
  return { started, activityScheduled };
}

/**
 * Scenario: fairness between customers. The worker runs with capped task slots, so tasks wait in
 * the queue, where Temporal's fairness takes the customers (their pseudonyms, the sagas' fairness
 * keys) in turns. Rounds alternate: the other customers place their orders alone, then one
 * customer floods (every order of the flood placed, its sagas' tasks queued) and the same
 * customers place theirs again while the flood runs, then alone again once the flood is done, and
 * so on. Each flood round is compared with the alone rounds beside it: the machine is shared, and
 * its load drifts over minutes. The caller starts the stack with the slot caps
 * (WORKER_MAX_ACTIVITY_SLOTS, WORKER_MAX_WORKFLOW_TASK_SLOTS).
 */
export async function fairnessScenario(stack: SplitStack, options: FairnessOptions): Promise<FairnessResult> {
  const api = createApiClient({ baseUrl: stack.baseUrl });
  const accounts = createAccountService({ store: createEventStore(stack.mongo.db) });
  const open = async (owner: string) => (await accounts.openAccount({ owner, initialDeposit: 10 * PRICE })).accountId;
  const sku = 'FAIR-1';
  const plan = fairnessRoundPlan(options.floodRounds);
  const total = options.floodRounds * options.flood + plan.length * options.customers * options.ordersEach + 10;
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
    return { workflowId: answer.data.workflowId, started, placed: now() };
  };
  /** Follows a placed order to its result: the time from placing to completion. */
  const follow = async ({ workflowId, started, placed }: Awaited<ReturnType<typeof placeOnly>>): Promise<Outcome> => {
    // A saga that fails is counted as not completed, not thrown: the flood's are followed unawaited.
    const status = await stack.client.workflow
      .getHandle(workflowId)
      .result()
      .then(
        (r: { status: string }) => r.status,
        (err: unknown) => `FAILED: ${String(err)}`,
      );
    const completedAt = now();
    return { workflowId, status, ms: completedAt - started, afterPlacingMs: completedAt - placed, completedAt };
  };
  const place = async (customerId: string, accountId: string) => follow(await placeOnly(customerId, accountId));

  // An account per order, opened before the rounds: the flood's payments must not contend on one
  // account's stream (that would slow the flood for a reason of its own and hide what the queue
  // does), and opening them must not load the machine during a round.
  const others = Array.from({ length: options.customers }, (_, i) => `customer-${i}`);
  const openOthers = () =>
    Promise.all(
      others.flatMap((c) => Array.from({ length: options.ordersEach }, async () => [c, await open(c)] as const)),
    );
  const othersAccounts: Array<Awaited<ReturnType<typeof openOthers>>> = [];
  for (let r = 0; r < plan.length; r++) othersAccounts.push(await openOthers());
  const floodAccounts: string[][] = [];
  for (let r = 0; r < options.floodRounds; r++)
    floodAccounts.push(await Promise.all(Array.from({ length: options.flood }, () => open('flood'))));

  const loadStart = os.loadavg()[0]!;
  const t0 = now();
  // Warm-up: a cold worker and API would count against the first measurement only.
  await Promise.all(Array.from({ length: 4 }, async () => place('warm-up', await open('warm-up'))));

  const rounds: FairnessRoundResult[] = [];
  const othersMs: FairnessRound[] = [];
  const all: Outcome[] = [];
  let priority: FairnessResult['priority'] | undefined;
  for (const [i, kind] of plan.entries()) {
    const roundStart = now();
    const load = os.loadavg()[0]!;
    const othersPlace = () => Promise.all(othersAccounts[i]!.map(([c, a]) => place(c, a)));
    if (kind === 'alone') {
      log(
        `fairness round ${i + 1}/${plan.length}: ${options.customers} customers x ${options.ordersEach} orders, alone`,
      );
      const alone = await othersPlace();
      all.push(...alone);
      othersMs.push({ kind, othersMs: alone.map((o) => o.ms) });
      const waits = await queueWaits(
        stack.client,
        alone.map((o) => o.workflowId),
      );
      rounds.push({
        kind,
        others: summarize(alone.map((o) => o.ms)),
        othersAfterPlacing: summarize(alone.map((o) => o.afterPlacingMs)),
        queueWaitMs: { activity: { others: waits.activity }, workflowTask: { others: waits.workflowTask } },
        seconds: round((now() - roundStart) / 1000, 1),
        loadAverage: { start: round(load), end: round(os.loadavg()[0]!) },
      });
    } else {
      log(
        `fairness round ${i + 1}/${plan.length}: a flood of ${options.flood} orders from one customer, then the same customers`,
      );
      // The whole flood is placed first (floodConcurrency requests at a time), each order followed
      // to its result apart, so that every key has tasks queued when the others place theirs: what
      // the queue does with them is the subject, not how the API shares itself among clients.
      const accountsOfFlood = floodAccounts.shift()!;
      let next = 0;
      const following: Array<Promise<Outcome>> = [];
      const completed = { count: 0 };
      await Promise.all(
        Array.from({ length: options.floodConcurrency }, async () => {
          while (next < accountsOfFlood.length) {
            const account = accountsOfFlood[next++]!;
            following.push(follow(await placeOnly('flood', account)).finally(() => completed.count++));
          }
        }),
      );
      const floodRunningWhenOthersBegan = following.length - completed.count;
      const withFlood = await othersPlace();
      const othersDoneAt = Math.max(...withFlood.map((o) => o.completedAt));
      const floodOutcomes = await Promise.all(following);
      all.push(...withFlood, ...floodOutcomes);
      othersMs.push({ kind, othersMs: withFlood.map((o) => o.ms) });
      priority ??= await priorityOf(stack.client, withFlood[0]!.workflowId);
      // A sample of the flood's histories is enough for the median (reading all of them takes long).
      const floodSample = floodOutcomes.slice(0, 100).map((o) => o.workflowId);
      const othersWaits = await queueWaits(
        stack.client,
        withFlood.map((o) => o.workflowId),
      );
      const floodWaits = await queueWaits(stack.client, floodSample);
      rounds.push({
        kind,
        others: summarize(withFlood.map((o) => o.ms)),
        othersAfterPlacing: summarize(withFlood.map((o) => o.afterPlacingMs)),
        flood: summarize(floodOutcomes.map((o) => o.ms)),
        floodRunningWhenOthersBegan,
        floodLeftWhenOthersDone: floodOutcomes.filter((o) => o.completedAt > othersDoneAt).length,
        queueWaitMs: {
          activity: { others: othersWaits.activity, flood: floodWaits.activity },
          workflowTask: { others: othersWaits.workflowTask, flood: floodWaits.workflowTask },
        },
        seconds: round((now() - roundStart) / 1000, 1),
        loadAverage: { start: round(load), end: round(os.loadavg()[0]!) },
      });
    }
    const r = rounds.at(-1)!;
    const { activity, workflowTask } = r.queueWaitMs;
    log(
      `fairness round ${i + 1}: others' p95 ${round(r.others.p95, 0)} ms (${round(r.othersAfterPlacing.p95, 0)} ms after the API answered)` +
        (r.flood
          ? `; flood p95 ${round(r.flood.p95, 0)} ms, ${r.floodRunningWhenOthersBegan} of its orders running when the others began, ` +
            `${r.floodLeftWhenOthersDone} when they were done; median queue wait of an activity task ` +
            `${activity.others} ms (others) vs ${activity.flood} ms (flood), of a workflow task ${workflowTask.others} vs ${workflowTask.flood} ms`
          : `; median queue wait of an activity task ${activity.others} ms, of a workflow task ${workflowTask.others} ms`) +
        `; load ${r.loadAverage.start} -> ${r.loadAverage.end}`,
    );
  }
  const comparison = compareFairnessRounds(othersMs);
  const result: FairnessResult = {
    options,
    rounds,
    perRoundRatios: comparison.perRound,
    p95Ratio: comparison.median,
    withoutFlood: { p95: comparison.pooled.alone },
    withFlood: { p95: comparison.pooled.flood },
    pooledRatio: comparison.pooled.ratio,
    priority: priority!,
    notCompleted: all.filter((o) => o.status !== 'COMPLETED').length,
    seconds: round((now() - t0) / 1000, 1),
    loadAverage: { start: round(loadStart), end: round(os.loadavg()[0]!) },
  };
  log(
    `fairness: others' p95 with the flood against the alone rounds beside it: ${result.perRoundRatios.map((x) => `x${x}`).join(', ')} ` +
      `(median x${result.p95Ratio}); over all rounds ${result.withoutFlood.p95} ms alone, ${result.withFlood.p95} ms with the flood (x${result.pooledRatio}); ` +
      `${result.notCompleted} orders not completed; load ${result.loadAverage.start} -> ${result.loadAverage.end}`,
  );
  log(`fairness: priority of an other customer's saga ${JSON.stringify(result.priority)}`);
  return result;
}
