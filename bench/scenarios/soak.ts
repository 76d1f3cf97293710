import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { createApiClient } from '../../api/client';
import { createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import { deadLetterCollection } from '../../infra/dead-letters';
import { rssSampler } from '../lib/memory';
import {
  perMinute,
  soakVerdicts,
  type MinuteSample,
  type SoakMinute,
  type SoakOrder,
  type SoakVerdict,
} from '../lib/soak';
import type { SplitStack } from '../lib/split-stack';
import { log, now, round, sleep, summarize, type LatencySummary } from '../lib/util';

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const PRICE = 100;
/** The spread half's accounts and SKUs: each order picks one of each, so no stream is contended. */
const SPREAD = 200;
/** How long the orders still running when arrivals stop may take to finish. */
const DRAIN_MS = 120_000;

export type SoakKind = 'spread' | 'hot';

export interface SoakHalf {
  kind: SoakKind;
  accounts: number;
  skus: number;
  ratePerSecond: number;
  minutes: number;
  placed: number;
  completed: number;
  /** POST /orders answered anything but 202, or the saga ended otherwise than COMPLETED. */
  refused: number;
  /** The refusals by what POST /orders answered ("HTTP 503": n). */
  refusedBy: Record<string, number>;
  failed: number;
  /** The failures by how they ended: the saga's status, or the error its wait ended with (cut short). */
  failedBy: Record<string, number>;
  /** Still running when the drain's deadline passed. */
  unfinished: number;
  drainSeconds: number;
  latencyMs: LatencySummary;
  activityTimeouts: number;
  /** Workflow tasks that timed out (WorkflowTaskTimedOut): reported, not a goal. */
  workflowTaskTimeouts: number;
  deadLetters: number;
  minutesTable: SoakMinute[];
  verdicts: SoakVerdict[];
  peakRssMiB: Record<string, number>;
}

/**
 * Soak: orders arrive at a fixed rate (an open loop: each is placed on its schedule whether or not
 * earlier ones finished) for `minutes`, through `POST /orders`, and each is followed to its saga's
 * result. The worker, API and read side run as processes of their own (the split stack), so each
 * one's memory is its own. At the end of every minute: the RSS of each process and of both
 * servers, the dead letters, the oplog's size. After the drain, every order's history is read for
 * activity timeouts. `kind` spread: 200 accounts and 200 SKUs; hot: one account and one SKU,
 * funded and stocked for every order.
 */
export async function soakHalf(
  stack: SplitStack,
  kind: SoakKind,
  options: { minutes: number; ratePerSecond: number },
): Promise<SoakHalf> {
  const { minutes, ratePerSecond } = options;
  const total = Math.round(minutes * 60 * ratePerSecond);
  const api = createApiClient({ baseUrl: stack.baseUrl });
  const accountService = createAccountService({ store: createEventStore(stack.mongo.db) });
  const width = kind === 'hot' ? 1 : SPREAD;
  const warmup = 8;
  const accounts: string[] = [];
  for (let i = 0; i < width; i++)
    accounts.push(
      (await accountService.openAccount({ owner: `soak-${i}`, initialDeposit: (total + warmup) * PRICE * 10 }))
        .accountId,
    );
  const skuOf = (i: number) => (kind === 'hot' ? 'SOAK-HOT' : `SOAK-${i % width}`);
  for (let i = 0; i < width; i++) {
    const { error, response } = await api.POST('/inventory', {
      body: { sku: skuOf(i), quantity: (total + warmup) * 2, price: PRICE },
    });
    if (response.status !== 200) throw new Error(`restock failed: ${response.status} ${JSON.stringify(error)}`);
  }
  // Aborts the waits of orders still running when the drain ends: the stack's connection closes next.
  const abandon = new AbortController();
  // Every order in flight waits on this one signal: hundreds of listeners are expected, not a leak.
  setMaxListeners(0, abandon.signal);
  const place = async (i: number, order: { workflowId: string | null } = { workflowId: null }): Promise<string> => {
    const { data: placed, response } = await api.POST('/orders', {
      body: {
        customerId: `soak-${i % width}`,
        accountId: accounts[i % width]!,
        items: [{ sku: skuOf(i), quantity: 1 }],
        shippingAddress: address,
      },
    });
    if (response.status !== 202 || !placed) return `HTTP ${response.status}`;
    order.workflowId = placed.workflowId;
    const result = await stack.client.withAbortSignal(abandon.signal, () =>
      stack.client.workflow.getHandle(placed.workflowId).result(),
    );
    return result.status;
  };
  // A few orders first, so the first minute does not pay for a cold worker and API.
  await Promise.all(Array.from({ length: warmup }, (_, i) => place(total + i)));

  const procs = stack.cpuTargets.filter((t) => t.kind !== 'load generator');
  const memory = rssSampler(procs);
  const deadLetters = deadLetterCollection(stack.mongo.db);
  const oplog = stack.mongo.client.db('local').collection('oplog.rs');
  const sampleMinute = async (): Promise<MinuteSample> => ({
    rssMiB: memory.now(),
    deadLetters: await deadLetters.countDocuments({}),
    oplogEntries: await oplog.estimatedDocumentCount().catch(() => null),
    loadAverage: round(os.loadavg()[0]!),
  });

  const orders: Array<SoakOrder & { workflowId: string | null }> = [];
  const minuteEnds = async (minute: number) => {
    const m = await sampleMinute();
    samples.push(m);
    const completed = orders.filter((o) => o.status === 'COMPLETED' && o.endedAtMs! < minute * 60_000).length;
    const rss = Object.entries(m.rssMiB).map(([n, v]) => `${n} ${v ?? '?'}`);
    log(
      `soak (${kind}): minute ${minute}: ${completed} completed so far, RSS ${rss.join(', ')} MiB, dead letters ${m.deadLetters}, oplog ${m.oplogEntries ?? '?'}, load ${m.loadAverage}`,
    );
  };
  const running: Array<Promise<void>> = [];
  const samples: MinuteSample[] = [];
  log(`soak (${kind}): ${ratePerSecond} orders/s for ${minutes} min (${total} orders), ${width} account(s) and SKU(s)`);
  const t0 = now();
  let nextMinute = 1;
  for (let i = 0; i < total; i++) {
    const due = (i * 1000) / ratePerSecond;
    while (nextMinute * 60_000 <= due) {
      await sleep(Math.max(0, nextMinute * 60_000 - (now() - t0)));
      await minuteEnds(nextMinute);
      nextMinute++;
    }
    const wait = due - (now() - t0);
    if (wait > 0) await sleep(wait);
    const order: SoakOrder & { workflowId: string | null } = {
      placedAtMs: now() - t0,
      endedAtMs: null,
      status: null,
      activityTimeouts: 0,
      workflowId: null,
    };
    orders.push(order);
    running.push(
      place(i, order).then(
        (status) => {
          order.endedAtMs = now() - t0;
          order.status = status;
        },
        (err: unknown) => {
          // Still running when the drain ended: unfinished, not failed.
          if (!abandon.signal.aborted) order.status = `error: ${String(err).slice(0, 120)}`;
        },
      ),
    );
  }
  await sleep(Math.max(0, minutes * 60_000 - (now() - t0)));
  await minuteEnds(minutes);
  const drainStart = now();
  await Promise.race([Promise.all(running), sleep(DRAIN_MS)]);
  const drainSeconds = round((now() - drainStart) / 1000);
  abandon.abort();
  await Promise.all(running);
  memory.stop();

  let workflowTaskTimeouts = 0;
  // Histories after the run, not during it: reading them is load the soak should not carry.
  let next = 0;
  const read = async () => {
    while (next < orders.length) {
      const order = orders[next++]!;
      if (!order.workflowId) continue;
      const events = (await stack.client.workflow.getHandle(order.workflowId).fetchHistory()).events ?? [];
      order.activityTimeouts = events.filter((e) => e.activityTaskTimedOutEventAttributes).length;
      workflowTaskTimeouts += events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
    }
  };
  await Promise.all(Array.from({ length: 4 }, read));

  const minutesTable = perMinute(orders, samples);
  const completed = orders.filter((o) => o.status === 'COMPLETED');
  const failures = orders.filter((o) => o.status !== null && o.status !== 'COMPLETED' && !o.status.startsWith('HTTP '));
  const activityTimeouts = orders.reduce((n, o) => n + o.activityTimeouts, 0);
  const deadLetterCount = await deadLetters.countDocuments({});
  const half: SoakHalf = {
    kind,
    accounts: width,
    skus: width,
    ratePerSecond,
    minutes,
    placed: orders.length,
    completed: completed.length,
    refused: orders.filter((o) => o.status?.startsWith('HTTP ')).length,
    refusedBy: orders
      .filter((o) => o.status?.startsWith('HTTP '))
      .reduce<Record<string, number>>((by, o) => ({ ...by, [o.status!]: (by[o.status!] ?? 0) + 1 }), {}),
    failed: failures.length,
    failedBy: failures.reduce<Record<string, number>>((by, o) => {
      const how = o.status!.slice(0, 80);
      return { ...by, [how]: (by[how] ?? 0) + 1 };
    }, {}),
    unfinished: orders.filter((o) => o.status === null).length,
    drainSeconds,
    latencyMs: summarize(completed.map((o) => o.endedAtMs! - o.placedAtMs)),
    activityTimeouts,
    workflowTaskTimeouts,
    deadLetters: deadLetterCount,
    minutesTable,
    verdicts: soakVerdicts(minutesTable, { activityTimeouts, deadLetters: deadLetterCount }),
    peakRssMiB: memory.peak(),
  };
  log(
    `soak (${kind}): ${half.completed}/${half.placed} completed, p50 ${half.latencyMs.p50} ms p99 ${half.latencyMs.p99} ms, ${activityTimeouts} activity timeouts (${workflowTaskTimeouts} workflow task timeouts), ${deadLetterCount} dead letters; ${half.verdicts.filter((v) => v.met === false).length} goal(s) not met`,
  );
  return half;
}
