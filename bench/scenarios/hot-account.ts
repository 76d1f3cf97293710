import os from 'node:os';
import type { Client } from '@temporalio/client';
import { createApiClient } from '../../api/client';
import { ACCOUNT_STREAM_TYPE, accountStreamId, createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import { since, type Tallies } from '../lib/command-count';
import { cpuWindow, type CpuReport } from '../lib/cpu';
import { accountProblems, type AccountAfter, type PaidOrder } from '../lib/hot-account-check';
import type { HotAccountRound, LongStreamRun } from '../lib/render-hot-account';
import type { SplitStack } from '../lib/split-stack';
import { log, now, round, sleep, summarize } from '../lib/util';

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const PRICE = 100;
/** Requests per order at most, the first included (see `place`). */
const PLACE_TRIES = 6;

/** A round of the scenario: what the report shows, and the CPU it took. */
export type HotAccountRun = HotAccountRound & { cpu: CpuReport };

interface Placed {
  orderId: string;
  workflowId: string;
  total: number;
  status: string;
  failureReason: string | null;
  ms: number;
}

/** What the histories say of some workflows: processPayment's durations, retries by activity and timeouts. */
async function readHistories(client: Client, workflowIds: string[]) {
  const paymentMs: number[] = [];
  const retriesByActivity: Record<string, number> = {};
  let timeouts = 0;
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const at = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
    const byId = new Map(events.map((e) => [String(e.eventId), e]));
    const nameOf = (scheduledEventId: unknown) =>
      byId.get(String(scheduledEventId))?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const attempt = started.attempt ?? 1;
        if (attempt > 1) {
          const name = nameOf(started.scheduledEventId);
          retriesByActivity[name] = (retriesByActivity[name] ?? 0) + attempt - 1;
        }
        // A retried attempt that ran out of time leaves its failure on the next attempt's start.
        if (started.lastFailure?.timeoutFailureInfo) timeouts++;
      }
      if (e.activityTaskTimedOutEventAttributes) timeouts++;
      const done = e.activityTaskCompletedEventAttributes;
      if (done && nameOf(done.scheduledEventId) === 'processPayment') {
        const start = byId.get(String(done.startedEventId));
        if (start) paymentMs.push(at(e) - at(start));
      }
    }
  }
  return { paymentMs, retriesByActivity, timeouts };
}

/** `find events` commands the worker sent from processPayment between two counts. */
function paymentEventReads(after: Tallies, before: Tallies): number {
  return since(after, before).worker?.processPayment?.commands['find events'] ?? 0;
}

/**
 * Scenario: 64 concurrent orders (one item each, on SKUs of their own) all paying from ONE
 * account funded for all of them, beside 64 orders paying from 64 accounts, runs alternating.
 * Every order is started at once through `POST /orders` and followed to its result; afterwards
 * each account's audit trail is read back and checked (bench/lib/hot-account-check.ts): a broken
 * promise fails the scenario. Then, one order at a time, payments from an account with a long
 * stream beside payments from a fresh one: a debit's cost must not grow with the stream.
 */
export async function hotAccountScenario(
  stack: SplitStack,
  options: { orders: number; rounds: number; longStream: { events: number; payments: number } },
): Promise<{ runs: HotAccountRun[]; longStream: LongStreamRun; placeRetries: Record<number, number> }> {
  const api = createApiClient({ baseUrl: stack.baseUrl });
  /** How often POST /orders was asked again, by the status that made it ask (over the whole scenario). */
  const placeRetries: Record<number, number> = {};
  const store = createEventStore(stack.mongo.db);
  const accounts = createAccountService({ store });
  const open = async (owner: string, initialDeposit: number) =>
    (await accounts.openAccount({ owner, initialDeposit })).accountId;
  const restock = async (sku: string, quantity: number) => {
    const { error, response } = await api.POST('/inventory', { body: { sku, quantity, price: PRICE } });
    if (response.status !== 200) throw new Error(`restock failed: ${response.status} ${JSON.stringify(error)}`);
  };
  const place = async (i: number, accountId: string, sku: string): Promise<Placed> => {
    const started = now();
    // An overloaded machine can make the API answer 503 ("retry shortly") or, when Temporal takes
    // longer than the start's deadline, 500; a request that fails leaves no key behind, so a client
    // retries with the same key, which starts the order once (409: the first is still running).
    // Every such retry is counted in the report by status.
    const key = `hot-account-${sku}-${i}`;
    const body = { customerId: `payer-${i}`, accountId, items: [{ sku, quantity: 1 }], shippingAddress: address };
    let answer = await api.POST('/orders', { params: { header: { 'idempotency-key': key } }, body });
    for (let tries = 1; tries < PLACE_TRIES && [409, 500, 503].includes(answer.response.status); tries++) {
      placeRetries[answer.response.status] = (placeRetries[answer.response.status] ?? 0) + 1;
      await sleep(1_000);
      answer = await api.POST('/orders', { params: { header: { 'idempotency-key': key } }, body });
    }
    const { data: placed, error, response } = answer;
    if (response.status !== 202 || !placed)
      throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(error)}`);
    const result = await stack.client.workflow.getHandle(placed.workflowId).result();
    return {
      orderId: placed.orderId,
      workflowId: placed.workflowId,
      total: placed.total ?? NaN,
      status: result.status,
      failureReason: result.failureReason,
      ms: now() - started,
    };
  };
  const readBack = async (accountId: string): Promise<AccountAfter> => {
    const view = await accounts.getAccount(accountId);
    if (!view) throw new Error(`account ${accountId} not found after the run`);
    const events = (await accounts.history(accountId)).map((e) => ({
      type: e.type,
      data: e.data as Record<string, unknown>,
    }));
    return { accountId, balance: view.balance, events };
  };

  // A few orders first, so neither kind's first run pays for a cold worker and API.
  const warmAccount = await open('hot-account-warm', 1_000_000);
  await restock('HA-WARM', options.orders);
  await Promise.all(Array.from({ length: Math.min(8, options.orders) }, (_, i) => place(i, warmAccount, 'HA-WARM')));

  const runOnce = async (kind: HotAccountRun['kind'], r: number): Promise<HotAccountRun> => {
    const hot = kind === 'one account';
    const skuOf = (i: number) => `HA-${hot ? 'HOT' : 'SPREAD'}-${r}-${i.toString().padStart(2, '0')}`;
    for (let i = 0; i < options.orders; i++) await restock(skuOf(i), 1);
    // Funded for every order twice over: no order may be declined.
    const payers = hot
      ? Array<string>(options.orders).fill(await open(`hot-account-${r}`, 2 * PRICE * options.orders))
      : await Promise.all(Array.from({ length: options.orders }, (_, i) => open(`spread-${r}-${i}`, 2 * PRICE)));
    const loadAverage = os.loadavg()[0]!;
    const before = (await stack.work('ours')).commands;
    const cpu = cpuWindow(stack.cpuTargets);
    const t0 = now();
    const outcomes = await Promise.all(
      Array.from({ length: options.orders }, (_, i) => place(i, payers[i]!, skuOf(i))),
    );
    const seconds = (now() - t0) / 1000;
    const window = cpu.stop();
    const reads = paymentEventReads((await stack.work('ours')).commands, before);
    const orders: PaidOrder[] = outcomes.map((o, i) => ({ ...o, accountId: payers[i]! }));
    const after = await Promise.all([...new Set(payers)].map(readBack));
    const problems = accountProblems(orders, after);
    if (problems.length)
      throw new Error(
        `hot-account (${kind}, round ${r + 1}): ${problems.length} broken promise(s): ${problems.slice(0, 5).join('; ')}`,
      );
    const histories = await readHistories(
      stack.client,
      outcomes.map((o) => o.workflowId),
    );
    const completed = outcomes.filter((o) => o.status === 'COMPLETED');
    const retries = Object.values(histories.retriesByActivity).reduce((a, b) => a + b, 0);
    const run: HotAccountRun = {
      kind,
      round: r + 1,
      orders: outcomes.length,
      completed: completed.length,
      notCompleted: outcomes.length - completed.length,
      seconds: round(seconds),
      completedPerSecond: round(completed.length / seconds),
      completedMs: summarize(completed.map((o) => o.ms)),
      completedLatenciesMs: completed.map((o) => round(o.ms)),
      paymentMs: summarize(histories.paymentMs),
      retriesPerOrder: round(retries / outcomes.length, 3),
      retriesByActivity: histories.retriesByActivity,
      activityTimeouts: histories.timeouts,
      eventReadsPerPayment: round(reads / outcomes.length, 3),
      loadAverage: round(loadAverage),
      cpu: window,
    };
    log(
      `hot-account: ${kind} round ${r + 1}: ${run.completed} of ${run.orders} completed in ${run.seconds} s; completed p50 ${run.completedMs.p50} ms p99 ${run.completedMs.p99} ms; processPayment p50 ${run.paymentMs.p50} ms p99 ${run.paymentMs.p99} ms; event reads per payment ${run.eventReadsPerPayment}; retries per order ${run.retriesPerOrder}, activity timeouts ${run.activityTimeouts} (load ${run.loadAverage}); balances add up`,
    );
    return run;
  };

  const runs: HotAccountRun[] = [];
  // Alternating, so a change in outside load falls on both kinds.
  for (let r = 0; r < options.rounds; r++) {
    runs.push(await runOnce('one account per order', r));
    runs.push(await runOnce('one account', r));
  }
  const longStream = await longStreamRun(options.longStream);
  return { runs, longStream, placeRetries };

  /**
   * One account whose stream already holds `events` events (written in appends of 100, then read
   * once through the service, which snapshots it as it would any account it reads), and a fresh
   * one; orders placed one at a time, alternating between them, so both see the same load.
   */
  async function longStreamRun({ events, payments }: { events: number; payments: number }): Promise<LongStreamRun> {
    const funds = 2 * PRICE * payments;
    const long = await open('long-stream', funds);
    for (let version = 1; version < events;) {
      const batch = Math.min(100, events - version);
      await store.append(
        accountStreamId(long),
        Array.from({ length: batch }, () => ({ type: 'Deposited', data: { amount: 1, reason: 'bench-prefill' } })),
        { streamType: ACCOUNT_STREAM_TYPE, expectedVersion: version },
      );
      version += batch;
    }
    await accounts.getAccount(long);
    const fresh = await open('fresh-stream', funds);
    for (let i = 0; i < 2 * payments; i++) await restock(`HA-LONG-${i}`, 1);
    const loadAverage = os.loadavg()[0]!;
    const placed: Array<{ on: 'long' | 'fresh'; workflowId: string }> = [];
    const orders: PaidOrder[] = [];
    for (let i = 0; i < 2 * payments; i++) {
      const on = i % 2 === 0 ? 'long' : 'fresh';
      const accountId = on === 'long' ? long : fresh;
      const o = await place(i, accountId, `HA-LONG-${i}`);
      placed.push({ on, workflowId: o.workflowId });
      orders.push({ ...o, accountId });
    }
    const problems = accountProblems(orders, [await readBack(long), await readBack(fresh)]);
    if (problems.length)
      throw new Error(
        `hot-account (long stream): ${problems.length} broken promise(s): ${problems.slice(0, 5).join('; ')}`,
      );
    const msOf = async (on: 'long' | 'fresh') =>
      (
        await readHistories(
          stack.client,
          placed.filter((p) => p.on === on).map((p) => p.workflowId),
        )
      ).paymentMs;
    const longMs = summarize(await msOf('long'));
    const freshMs = summarize(await msOf('fresh'));
    const result: LongStreamRun = {
      priorEvents: events,
      payments,
      longMs,
      freshMs,
      p50Ratio: freshMs.p50 > 0 ? round(longMs.p50 / freshMs.p50, 3) : NaN,
      loadAverage: round(loadAverage),
    };
    log(
      `hot-account: processPayment p50 ${longMs.p50} ms on an account of ${events} prior events, ${freshMs.p50} ms on a fresh one (ratio ${result.p50Ratio}, ${payments} payments each, load ${result.loadAverage})`,
    );
    return result;
  }
}
