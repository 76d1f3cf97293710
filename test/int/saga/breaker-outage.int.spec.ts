import { describe, expect, it } from 'vitest';
import { apiOf } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { fastSaga, useSagaStack } from '../../helpers/saga';

/**
 * The payment service down while orders are placed, on the real stack (Temporal dev server,
 * MongoDB, the worker with its breaker interceptor, the API): the breaker opens, the sagas wait
 * instead of spending their budgets and compensating, and all complete once a probe finds the
 * service back. `npm test` runs a shorter outage with fewer orders; the full size (a 60 s outage,
 * 50 orders) is BREAKER_OUTAGE_MS=60000 BREAKER_ORDERS=50 on the same test.
 */
const OUTAGE_MS = Number(process.env.BREAKER_OUTAGE_MS ?? 15_000);
const ORDERS = Number(process.env.BREAKER_ORDERS ?? 20);

describe('a payment outage pauses the sagas, not the business', () => {
  // A tenth of production's timings (BREAKER_TIME_SCALE): one payment step's whole retry budget (6
  // attempts) is spent in about 6 s, and an attempt may take 1.5 s on a loaded machine. An attempt that
  // times out on the server is not seen by the breaker, so a machine too slow for its timeouts makes
  // sagas compensate: the full-size run uses 0.5 (a budget of about 31 s, attempts of 7.5 s).
  const t = useSagaStack({
    ...fastSaga,
    SAGA_TIME_SCALE: Number(process.env.BREAKER_TIME_SCALE ?? 0.1),
    BREAKER_MIN_CALLS: 5,
    BREAKER_FAILURE_RATIO: 0.5,
    BREAKER_OPEN: 1_000,
    BREAKER_MAX_OPEN: 4_000,
    BREAKER_RESUME_PER_SECOND: 10,
  });
  const api = () => apiOf(t.stack);

  it(
    `${ORDERS} orders placed while payment is down for ${OUTAGE_MS / 1000} s: none compensated, all completed after, attempts bounded, transitions in /metrics`,
    { timeout: OUTAGE_MS + 240_000 },
    async () => {
      // An account and a SKU per order: the subject is the payment outage, not contention on one document.
      const accounts = await Promise.all(Array.from({ length: ORDERS }, () => t.h.openAccount(10_000)));
      const skus = await Promise.all(
        accounts.map(async () => {
          const sku = t.h.unique('SKU');
          await t.h.stock(sku, 1, 500);
          return sku;
        }),
      );
      const began = Date.now();
      expect((await faultsOf(api()).inject('payment', { mode: 'error', durationMs: OUTAGE_MS })).response.status).toBe(
        200,
      );
      // Placed at once, ten at a time, so that every saga reaches its payment while the service is down.
      const orders: string[] = [];
      for (let i = 0; i < accounts.length; i += 10)
        orders.push(
          ...(
            await Promise.all(
              accounts
                .slice(i, i + 10)
                .map((accountId, j) => t.h.placeOrder({ accountId, items: [{ sku: skus[i + j]!, quantity: 1 }] })),
            )
          ).map((o) => o.orderId),
        );
      const placedAfterMs = Date.now() - began;
      expect(placedAfterMs, 'the orders were placed before the outage ended').toBeLessThan(OUTAGE_MS);

      const results = await Promise.all(orders.map((orderId) => t.h.result(orderId)));
      const completedAfterMs = Date.now() - began;
      const breakersNow = (await api().GET('/breakers')).data;
      const ended = results.filter((r) => r.status !== 'COMPLETED').map((r) => r.failureReason);
      expect(
        results.map((r) => r.status),
        JSON.stringify({ ended: ended.slice(0, 3), breakersNow }),
      ).toEqual(orders.map(() => 'COMPLETED'));
      for (const orderId of orders) expect((await t.h.sagaStatus(orderId)).compensationsDone).toEqual([]);
      expect((await api().GET('/dead-letters')).data?.deadLetters).toEqual([]);
      expect(completedAfterMs).toBeGreaterThanOrEqual(OUTAGE_MS);

      // Every attempt of every processPayment activity: Temporal records each activity's last attempt number.
      let attempts = 0;
      let activities = 0;
      let waited = 0;
      for (const orderId of orders) {
        const history = await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
        const scheduled = new Map<string, string>();
        for (const e of history.events ?? []) {
          const s = e.activityTaskScheduledEventAttributes;
          if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
          if (s?.activityType?.name === 'awaitBreaker') waited += 1;
          const started = e.activityTaskStartedEventAttributes;
          if (started && scheduled.get(String(started.scheduledEventId)) === 'processPayment') {
            attempts += started.attempt ?? 1;
            activities += 1;
          }
        }
      }
      // Without the breaker each saga would spend its 6 attempts and compensate; with it, the first
      // failures open the breaker and every later attempt is a fast refusal, a probe or the payment.
      console.log(
        `breaker outage: ${ORDERS} orders, ${OUTAGE_MS} ms outage: ${attempts} processPayment attempts in ${activities} activities; ${waited} waits on the breaker; placed in ${placedAfterMs} ms, all completed after ${completedAfterMs} ms`,
      );
      expect(waited).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(ORDERS * 3 + 20);

      const metrics = await (await fetch(`${t.stack.baseUrl}/metrics`)).text();
      const transitions = (to: string) =>
        Number(
          new RegExp(`circuit_breaker_transitions_total\\{service="payment",to="${to}"\\} (\\d+)`).exec(metrics)?.[1] ??
            0,
        );
      expect(transitions('open')).toBeGreaterThanOrEqual(1);
      expect(transitions('half-open')).toBeGreaterThanOrEqual(1);
      expect(transitions('closed')).toBeGreaterThanOrEqual(1);
      expect(metrics).toContain('circuit_breaker_state{service="payment",state="closed"} 1');
      const { data } = await api().GET('/breakers');
      expect(data?.breakers.find((b) => b.service === 'payment')).toMatchObject({ status: 'closed', by: 'probe' });
    },
  );
});
