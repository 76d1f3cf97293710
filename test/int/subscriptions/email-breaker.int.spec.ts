import { describe, expect, it } from 'vitest';
import { dataOf } from '../../../api/client';
import { breakerStream } from '../../../domain/breakers';
import { BREAKER_STATE_FRESH_MS } from '../../../infra/breakers';
import { checkpoints } from '../../../readside/engine/checkpoints';
import { apiOf } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { waitFor } from '../../helpers/wait-for';

/**
 * The Email service behind the shared `email` circuit breaker, on the real stack (the projector's
 * email subscription, the API, MongoDB, Temporal): an outage opens the breaker and nothing but
 * probes reaches the provider until it answers; an operator's hand stops and resumes the sending;
 * the backlog goes out at most BREAKER_RESUME_PER_SECOND per second, each email exactly once.
 */
const OUTAGE_MS = 12_000;
const ORDERS = 8;
const MIN_CALLS = 4;
const OPEN_MS = 1_000;
const RESUME_PER_SECOND = 4;
/** A counted fault: what is left of it after the outage says how many sends were attempted. */
const COUNTED = 1_000_000;

describe('the Email service goes through its circuit breaker', () => {
  const t = useSagaStack({
    ...fastSaga,
    BREAKER_MIN_CALLS: MIN_CALLS,
    BREAKER_FAILURE_RATIO: 0.5,
    BREAKER_OPEN: OPEN_MS,
    BREAKER_MAX_OPEN: 4_000,
    BREAKER_RESUME_PER_SECOND: RESUME_PER_SECOND,
  });
  const api = () => apiOf(t.stack);
  const emailsOf = async (orderId: string) =>
    (await dataOf(api().GET('/emails', { params: { query: { orderId } } }))).emails;
  const emailBreaker = async () => (await dataOf(api().GET('/breakers'))).breakers.find((b) => b.service === 'email')!;
  const transitions = async () => t.h.store.readStream(breakerStream('email'));
  const failuresOfSubscription = async () =>
    (await checkpoints(t.stack.mongo.db).findOne({ _id: 'email' }))?.failures ?? 0;
  /** The most emails sent within one second (the resume tokens are counted per second). */
  const mostInOneSecond = (sent: Date[]) => {
    const perSecond = new Map<number, number>();
    for (const at of sent)
      perSecond.set(Math.floor(at.getTime() / 1000), (perSecond.get(Math.floor(at.getTime() / 1000)) ?? 0) + 1);
    return Math.max(...perSecond.values());
  };

  it(
    `the email provider down ${OUTAGE_MS / 1000} s while ${ORDERS} orders complete: the breaker opens, only probes try the provider, every email goes out once after, paced, no dead letter`,
    { timeout: OUTAGE_MS + 120_000 },
    async () => {
      const accountId = await t.h.openAccount(1_000_000);
      const sku = t.h.unique('SKU');
      await t.h.stock(sku, ORDERS, 1_000);
      const failuresBefore = await failuresOfSubscription();

      // Taken before the fault's own end is set, so no later than it.
      const recoversAt = Date.now() + OUTAGE_MS;
      const injected = await faultsOf(api()).inject('email', {
        mode: 'error',
        failures: COUNTED,
        durationMs: OUTAGE_MS,
      });
      expect(injected.response.status).toBe(200);
      const orders = await Promise.all(
        Array.from({ length: ORDERS }, () => t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] })),
      );
      for (const { orderId } of orders) expect((await t.h.result(orderId)).status).toBe('COMPLETED');

      // Opened by failures during the outage (by the time the orders are done it may be probing already).
      const opened = await waitFor('the email breaker to open by failures', async () =>
        (await transitions()).find((e) => e.type === 'BreakerOpened' && (e.data as { by: string }).by === 'failures'),
      );
      const openedAt = Date.parse((opened.data as { at: string }).at);
      expect(openedAt, 'the breaker opened during the outage').toBeLessThan(recoversAt);
      expect((opened.data as { reason: string }).reason).toMatch(/calls failed/);

      const sent = await waitFor(
        'every email after the recovery',
        async () => {
          const all = await Promise.all(orders.map(async ({ orderId }) => emailsOf(orderId)));
          return all.every((emails) => emails.length === 2) ? all.flat() : undefined;
        },
        OUTAGE_MS + 60_000,
      );
      // Exactly once: one of each kind per order, and no more in the collection than that.
      for (const { orderId } of orders)
        expect((await emailsOf(orderId)).map((e) => e.kind).sort()).toEqual(['order-confirmed', 'order-received']);
      const stored = await t.stack.mongo.db
        .collection('emails')
        .find({ orderId: { $in: orders.map((o) => o.orderId) } })
        .toArray();
      expect(stored).toHaveLength(ORDERS * 2);
      const sentAt = stored.map((e) => e.sentAt as Date);
      for (const at of sentAt)
        expect(at.getTime(), 'nothing was sent during the outage').toBeGreaterThanOrEqual(recoversAt);
      // The backlog was held back by the breaker: at most the resume rate per second, plus the probe's own send.
      expect(mostInOneSecond(sentAt), JSON.stringify(sentAt)).toBeLessThanOrEqual(RESUME_PER_SECOND + 1);
      expect(sent).toHaveLength(ORDERS * 2);

      // Attempts: the failures that opened the breaker, then only the probes that found it still down.
      const remaining = (await faultsOf(api()).listed()).faults.find((f) => f._id === 'email')?.failures ?? COUNTED;
      const attempts = COUNTED - remaining;
      const events = await transitions();
      const byFailures = events.filter(
        (e) => e.type === 'BreakerOpened' && (e.data as { by: string }).by === 'failures',
      );
      const reopenedByProbe = events.filter(
        (e) => e.type === 'BreakerOpened' && (e.data as { by: string }).by === 'probe',
      ).length;
      const probes = events.filter((e) => e.type === 'BreakerHalfOpened').length;
      expect(byFailures).toHaveLength(1);
      const openingFailures = (byFailures[0]!.data as { failures: number }).failures;
      console.log(
        `email breaker outage: ${ORDERS} orders, ${OUTAGE_MS} ms outage: ${attempts} send attempts (${openingFailures} before the breaker opened, ${reopenedByProbe} failed probes of ${probes}); ${events.length} transitions; at most ${mostInOneSecond(sentAt)} emails in one second after`,
      );
      expect(attempts).toBe(openingFailures + reopenedByProbe);
      expect(openingFailures).toBeLessThanOrEqual(MIN_CALLS);
      // The probes back off from OPEN_MS (doubling), so an outage sees only a handful of them.
      expect(probes).toBeLessThanOrEqual(Math.ceil(OUTAGE_MS / OPEN_MS) + 1);
      // The subscription's own retries saw only the failures before the opening: none was burnt while open.
      expect((await failuresOfSubscription()) - failuresBefore).toBeLessThan(openingFailures);

      expect((await dataOf(api().GET('/dead-letters'))).deadLetters).toEqual([]);
      expect(await emailBreaker()).toMatchObject({ status: 'closed', by: 'probe' });
      const metrics = await (await fetch(`${t.stack.baseUrl}/metrics`)).text();
      const count = (to: string) =>
        Number(
          new RegExp(`circuit_breaker_transitions_total\\{service="email",to="${to}"\\} (\\d+)`).exec(metrics)?.[1] ??
            0,
        );
      expect(count('open')).toBe(1 + reopenedByProbe);
      expect(count('half-open')).toBe(probes);
      expect(count('closed')).toBe(1);
      expect(metrics).toContain('circuit_breaker_state{service="email",state="closed"} 1');
    },
  );

  it(
    'an operator opening the email breaker stops the sending while the provider is healthy; closing it resumes at once; both audited',
    { timeout: 120_000 },
    async () => {
      const accountId = await t.h.openAccount(100_000);
      const sku = t.h.unique('SKU');
      await t.h.stock(sku, 5, 1_000);
      const put = (state: 'open' | 'closed', reason: string) =>
        dataOf(api().PUT('/breakers/{service}', { params: { path: { service: 'email' } }, body: { state, reason } }));

      const opened = await put('open', 'provider maintenance window');
      expect(opened).toMatchObject({ changed: true, breaker: { status: 'open', by: 'operator', probeAt: null } });
      // The read side trusts the state it read for BREAKER_STATE_FRESH_MS: the hand holds the sends from then on.
      await new Promise((r) => setTimeout(r, 2 * BREAKER_STATE_FRESH_MS));
      const versionOpened = (await transitions()).length;
      const failuresBefore = await failuresOfSubscription();

      const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
      expect((await t.h.result(orderId)).status).toBe('COMPLETED');
      // The read side went on (the orders read model has the outcome); the Email service held its sends.
      await waitFor('the orders read model to show the completed order', async () => {
        const { data } = await api().GET('/orders/{orderId}', { params: { path: { orderId } } });
        return data?.status === 'COMPLETED';
      });
      const heldUntil = Date.now() + 3_000;
      while (Date.now() < heldUntil) {
        expect(await emailsOf(orderId)).toEqual([]);
        await new Promise((r) => setTimeout(r, 250));
      }
      // No probe of a breaker opened by hand, and no attempt thrown at the subscription's retries.
      expect(await transitions()).toHaveLength(versionOpened);
      expect(await failuresOfSubscription()).toBe(failuresBefore);
      expect(await emailBreaker()).toMatchObject({
        status: 'open',
        by: 'operator',
        reason: 'provider maintenance window',
      });

      expect(await put('closed', 'maintenance over')).toMatchObject({
        changed: true,
        breaker: { status: 'closed', by: 'operator' },
      });
      // A breaker opened by hand is never probed: only the close lets the held sends go, at once.
      await waitFor('both emails once closed', async () => (await emailsOf(orderId)).length === 2, 15_000);
      expect((await emailsOf(orderId)).map((e) => e.kind).sort()).toEqual(['order-confirmed', 'order-received']);

      const hand = (await transitions()).slice(versionOpened - 1).map((e) => ({ type: e.type, ...(e.data as object) }));
      expect(hand).toEqual([
        expect.objectContaining({ type: 'BreakerOpened', by: 'operator', reason: 'provider maintenance window' }),
        expect.objectContaining({ type: 'BreakerClosed', by: 'operator', reason: 'maintenance over' }),
      ]);
      const audit = await t.stack.mongo.db
        .collection('audit_log')
        .find({ service: 'email', action: { $in: ['open-breaker', 'close-breaker'] } })
        .sort({ at: 1 })
        .toArray();
      expect(audit.map((a) => [a.action, a.reason, a.changed])).toEqual([
        ['open-breaker', 'provider maintenance window', true],
        ['close-breaker', 'maintenance over', true],
      ]);
    },
  );
});
