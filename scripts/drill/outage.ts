import type { Client } from '@temporalio/client';
import { dataOf, idempotencyKey, type ApiClient } from '../../api/client';
import type { StepPolicy } from '../../domain/orders/saga-settings';
import type { OutageFigures, PlacedOrder } from './invariants';
import { watchReadable } from './load';

export interface OutageOptions {
  api: ApiClient;
  /** The API's base URL, for its /metrics. */
  baseUrl: string;
  client: Client;
  service: 'payment';
  outageMs: number;
  /** The service's step policy the sagas run with: the outage must outlast its whole budget. */
  policy: StepPolicy;
  orders: number;
  readableWithinMs: number;
  /** Every order placed during the outage must have ended by then. */
  deadline: number;
  say: (m: string) => void;
}

const STEP_ACTIVITY = { payment: 'processPayment' } as const;
const TRANSITIONS = ['open', 'half-open', 'closed'] as const;

/** The longest a step keeps trying before the saga gives up on it: every attempt timing out, every backoff in full. */
export function stepBudgetMs(policy: StepPolicy): number {
  let total = 0;
  let interval = policy.initialIntervalMs;
  for (let attempt = 1; attempt <= policy.maximumAttempts; attempt++) {
    total += policy.startToCloseTimeoutMs;
    if (attempt < policy.maximumAttempts) {
      total += interval;
      interval = Math.min(policy.maximumIntervalMs, interval * policy.backoffCoefficient);
    }
  }
  return total;
}

async function transitions(baseUrl: string, service: string): Promise<OutageFigures['transitions']> {
  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  const count = (to: string) =>
    Number(
      new RegExp(`circuit_breaker_transitions_total\\{service="${service}",to="${to}"\\} (\\d+)`).exec(metrics)?.[1] ??
        0,
    );
  return Object.fromEntries(TRANSITIONS.map((to) => [to, count(to)])) as OutageFigures['transitions'];
}

/**
 * Takes the service down for longer than its step's whole retry budget and places orders while it
 * is down, each with an account and a SKU of its own (the subject is the outage, not contention),
 * ten at a time so that every saga reaches the step during the outage. Waits until they have all
 * ended, then measures from their histories how many attempts the step made and how often the
 * sagas waited on the breaker, and from /metrics how the breaker moved. The invariant checker
 * judges the figures (./invariants.ts).
 */
export async function runOutage(o: OutageOptions): Promise<{ orders: PlacedOrder[]; figures: OutageFigures }> {
  const accounts = await Promise.all(
    Array.from(
      { length: o.orders },
      async (_, i) =>
        (await dataOf(o.api.POST('/accounts', { body: { owner: `outage-${i}`, initialDeposit: 10_000 } }))).accountId,
    ),
  );
  const skus = accounts.map((_, i) => `OUTAGE-${i}`);
  for (const sku of skus) await dataOf(o.api.POST('/inventory', { body: { sku, quantity: 1, price: 500 } }));
  const before = await transitions(o.baseUrl, o.service);

  const began = Date.now();
  await dataOf(
    o.api.PUT('/faults/{service}', {
      params: { path: { service: o.service } },
      body: { mode: 'error', durationMs: o.outageMs },
    }),
  );
  o.say(`${o.service} service down for ${o.outageMs / 1_000} s; placing ${o.orders} orders`);
  const orders: PlacedOrder[] = [];
  const readable: Promise<void>[] = [];
  for (let i = 0; i < accounts.length; i += 10) {
    const batch = await Promise.all(
      accounts.slice(i, i + 10).map(async (accountId, j) => {
        const items = [{ sku: skus[i + j]!, quantity: 1 }];
        const { orderId } = await dataOf(
          o.api.POST('/orders', {
            params: { header: idempotencyKey(`drill-outage-order-${i + j}`) },
            body: {
              customerId: `drill-outage-${(i + j) % 7}`,
              accountId,
              items,
              shippingAddress: {
                line1: `${i + j} Outage Ave`,
                city: 'Springfield',
                postalCode: '12345',
                country: 'US',
              },
            },
          }),
        );
        const order: PlacedOrder = { orderId, accountId, items, acceptedAt: Date.now(), duringOutage: true };
        readable.push(watchReadable({ api: o.api, readableWithinMs: o.readableWithinMs }, order));
        return order;
      }),
    );
    orders.push(...batch);
  }
  const placedWithinMs = Date.now() - began;

  await Promise.all(
    orders.map(async (order) => {
      const handle = o.client.workflow.getHandle(`order-${order.orderId}`);
      for (;;) {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') return;
        if (Date.now() > o.deadline) throw new Error(`order ${order.orderId} placed during the outage still runs`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }),
  );
  await Promise.all(readable);
  o.say(`orders placed during the outage ended ${((Date.now() - began) / 1_000).toFixed(1)} s after it began`);

  // Temporal records each activity's last attempt number on its start event.
  let attempts = 0;
  let activities = 0;
  let breakerWaits = 0;
  for (const order of orders) {
    const history = await o.client.workflow.getHandle(`order-${order.orderId}`).fetchHistory();
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
      if (s?.activityType?.name === 'awaitBreaker') breakerWaits++;
      const started = e.activityTaskStartedEventAttributes;
      if (started && scheduled.get(String(started.scheduledEventId)) === STEP_ACTIVITY[o.service]) {
        attempts += started.attempt ?? 1;
        activities++;
      }
    }
  }
  const after = await transitions(o.baseUrl, o.service);
  const breakers = (await o.api.GET('/breakers')).data?.breakers ?? [];
  const breaker = breakers.find((b) => b.service === o.service);
  return {
    orders,
    figures: {
      service: o.service,
      outageMs: o.outageMs,
      stepBudgetMs: stepBudgetMs(o.policy),
      orders: orders.length,
      placedWithinMs,
      attempts,
      activities,
      // Without the breaker each saga spends its whole budget and compensates; with it the first
      // failures open it and every later call is a fast refusal, a probe or the step itself.
      attemptBound: orders.length * 3 + 20,
      breakerWaits,
      transitions: Object.fromEntries(
        TRANSITIONS.map((to) => [to, after[to] - before[to]]),
      ) as OutageFigures['transitions'],
      breakerAfter: breaker ? { status: breaker.status, ...(breaker.by && { by: String(breaker.by) }) } : null,
    },
  };
}
