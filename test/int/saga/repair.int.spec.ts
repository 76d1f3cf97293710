import { describe, expect, it } from 'vitest';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { apiOf } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

const BALANCE = 10_000;
const PRICE = 700;
const QUANTITY = 2;
/** A postal code the carrier does not know: scheduleShipment refuses it (UndeliverableAddress). */
const REFUSED = { ...address, postalCode: '00000' };
const CORRECTED = { line1: '2 Elm St', city: 'Shelbyville', postalCode: '54321', country: 'US' };
const REPAIR_WAIT_MS = 15_000;

/**
 * A saga whose shipment the carrier refuses waits in NEEDS_ATTENTION, on the real stack (the
 * Temporal dev server, MongoDB, the worker, the read side and the HTTP API), and an operator repairs
 * it with one call. Each cell holds the promise: completed with money and stock moved once, or
 * compensated with everything undone.
 */
describe('repairing a saga that needs attention, through the HTTP API', () => {
  const t = useSagaStack({ ...fastSaga, REPAIR_WAIT_TIMEOUT: REPAIR_WAIT_MS });
  const api = () => apiOf(t.stack);
  type RepairBody =
    | { action: 'retry' }
    | { action: 'correct'; shippingAddress: typeof CORRECTED }
    | { action: 'compensate'; reason: string };
  const repair = (orderId: string, body: RepairBody) =>
    api().POST('/orders/{orderId}/repair', { params: { path: { orderId } }, body });

  /** Places an order whose address the carrier refuses and waits until its saga needs attention. */
  async function stuckOrder() {
    const accountId = await t.h.openAccount(BALANCE);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, PRICE);
    const { orderId } = await t.h.placeOrder({
      accountId,
      items: [{ sku, quantity: QUANTITY }],
      shippingAddress: REFUSED,
    });
    const waiting = await t.h.waitForSaga(orderId, (s) => s.status === 'NEEDS_ATTENTION', 'the saga to need attention');
    return { orderId, accountId, sku, waiting };
  }

  /** The promise, from the services' events, the account and the stock. */
  async function expectOutcome(
    { orderId, accountId, sku }: { orderId: string; accountId: string; sku: string },
    outcome: 'COMPLETED' | 'CANCELLED',
  ) {
    expect((await t.h.result(orderId)).status).toBe(outcome);
    const types = (await t.h.orderEvents(orderId)).map((e) => e.type);
    const count = (type: string) => types.filter((x) => x === type).length;
    expect(count('PaymentCompleted')).toBe(1);
    expect(count('ItemsReserved')).toBe(1);
    const level = await t.h.level(sku);
    if (outcome === 'COMPLETED') {
      expect(await t.h.balance(accountId)).toBe(BALANCE - QUANTITY * PRICE);
      expect([
        count('ShipmentScheduled'),
        count('OrderCompleted'),
        count('PaymentRefunded'),
        count('ItemsReleased'),
      ]).toEqual([1, 1, 0, 0]);
      expect(level.available).toBe(5 - QUANTITY);
    } else {
      expect(await t.h.balance(accountId)).toBe(BALANCE);
      expect([
        count('ShipmentScheduled'),
        count('OrderCancelled'),
        count('PaymentRefunded'),
        count('ItemsReleased'),
      ]).toEqual([0, 1, 1, 1]);
      expect(level.available + level.reserved).toBe(5);
      expect(level.reserved).toBe(0);
    }
    await t.h.orderView(orderId, outcome);
  }

  it('shows NEEDS_ATTENTION in the saga, GET /orders/:id, GET /orders?status= and /metrics; correct ships to the new address', async () => {
    const order = await stuckOrder();
    const { orderId, waiting } = order;
    expect(waiting.needsAttention).toMatchObject({
      step: 'scheduleShipment',
      reason: expect.stringContaining('no such postal code'),
    });
    expect(waiting.compensationsDone).toEqual([]);

    const saga = await api().GET('/orders/{orderId}/saga', { params: { path: { orderId } } });
    expect(saga.data?.needsAttention).toMatchObject({ step: 'scheduleShipment' });
    await t.h.orderView(orderId, 'NEEDS_ATTENTION');
    const listed = await api().GET('/orders', { params: { query: { status: 'NEEDS_ATTENTION' } } });
    expect(listed.data?.orders.map((o) => o.orderId)).toContain(orderId);
    const metrics = await (await fetch(`${t.stack.baseUrl}/metrics`)).text();
    expect(Number(/^orders_by_status\{status="NEEDS_ATTENTION"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      1,
    );

    const res = await repair(orderId, { action: 'correct', shippingAddress: CORRECTED });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    expect(res.data).toMatchObject({ orderId, accepted: 'repair', action: 'correct' });
    await expectOutcome(order, 'COMPLETED');
    const shipped = (await t.h.orderEvents(orderId)).find((e) => e.type === 'ShipmentScheduled');
    expect(shipped).toBeDefined();
    const view = await t.h.orderView(orderId, 'COMPLETED');
    expect(view.shippingAddress).toMatchObject({ postalCode: CORRECTED.postalCode });
    const audit = await t.stack.mongo.db.collection('audit_log').findOne({ action: 'repair-order', orderId });
    expect(audit).toMatchObject({ repair: 'correct', by: expect.any(String) });
  });

  it('retry runs the step again: the carrier refuses again, the saga waits again, and compensate undoes everything', async () => {
    const order = await stuckOrder();
    const first = order.waiting.needsAttention!.since;
    expect((await repair(order.orderId, { action: 'retry' })).response.status).toBe(202);
    await t.h.waitForSaga(
      order.orderId,
      (s) => s.status === 'NEEDS_ATTENTION' && s.needsAttention?.since !== first,
      'the saga to wait again after the retry',
    );
    const res = await repair(order.orderId, { action: 'compensate', reason: 'carrier will not deliver' });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    await expectOutcome(order, 'CANCELLED');
    const types = (await t.h.orderEvents(order.orderId)).map((e) => e.type);
    expect(types.filter((x) => x === 'OrderNeedsAttention')).toHaveLength(2);
  });

  it('compensate undoes everything with the operator reason', async () => {
    const order = await stuckOrder();
    expect(
      (await repair(order.orderId, { action: 'compensate', reason: 'customer unreachable' })).response.status,
    ).toBe(202);
    await expectOutcome(order, 'CANCELLED');
    // The saga is no longer waiting: a second repair is refused with the reason.
    const again = await repair(order.orderId, { action: 'retry' });
    expect(again.response.status).toBe(409);
  });

  it('the customer may still cancel while the saga waits: the cancel is accepted and compensates', async () => {
    const order = await stuckOrder();
    const res = await api().POST('/orders/{orderId}/cancel', {
      params: { path: { orderId: order.orderId } },
      body: { reason: 'changed my mind' },
    });
    expect(res.response.status).toBe(202);
    await expectOutcome(order, 'CANCELLED');
  });

  it(
    `a saga not repaired within REPAIR_WAIT_TIMEOUT (${REPAIR_WAIT_MS / 1000} s here) compensates by itself`,
    { timeout: 90_000 },
    async () => {
      const order = await stuckOrder();
      await waitFor(
        'the wait limit to pass',
        async () => (await t.h.sagaStatus(order.orderId)).status === 'CANCELLED',
        60_000,
      );
      await expectOutcome(order, 'CANCELLED');
      expect((await t.h.result(order.orderId)).failureReason).toMatch(/^not repaired within 15 ?s: /);
    },
  );

  it('refuses a repair of a saga that is not waiting (409 with its reason), and a malformed one (400)', async () => {
    const accountId = await t.h.openAccount(BALANCE);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, PRICE);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await t.h.result(orderId);
    const done = await repair(orderId, { action: 'retry' });
    expect(done.response.status).toBe(409);
    const malformed = await repair(orderId, { action: 'correct' } as never);
    expect(malformed.response.status).toBe(400);
  });
});
