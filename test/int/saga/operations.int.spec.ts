import { describe, expect, it } from 'vitest';
import { compensationsThrough } from '../../../domain/orders/steps';
import { idempotencyKey } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { waitFor } from '../../helpers/wait-for';
import { createPersonalData, masterKeysOf } from '../../../infra/personal-data';

// Orders above 5,000 cents wait for approval; the approval timeout is 1.5 s.
describe('order saga: approval, address updates, cancel, idempotency', () => {
  const t = useSagaStack({ ...fastSaga, APPROVAL_THRESHOLD: 5_000, APPROVAL_TIMEOUT: 1_500 });
  const api = () => apiOf(t.stack);
  const order = (orderId: string) => ({ params: { path: { orderId } } });

  async function bigOrder(balance = 100_000) {
    const accountId = await t.h.openAccount(balance);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 10, 6_000);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await t.h.waitForSaga(orderId, (s) => s.awaitingApproval, 'the saga to await approval');
    return { accountId, sku, orderId };
  }

  it('waits for approval above the threshold and completes once approved', async () => {
    const { accountId, orderId } = await bigOrder();
    expect((await t.h.orderView(orderId, 'AWAITING_APPROVAL')).total).toBe(6_000);
    const saga = await api().GET('/orders/{orderId}/saga', order(orderId));
    expect(saga.data).toMatchObject({
      status: 'AWAITING_APPROVAL',
      awaitingApproval: true,
      currentStep: 'awaitApproval',
      total: 6_000,
    });
    expect(await t.h.balance(accountId)).toBe(100_000); // nothing charged while waiting

    expect((await api().POST('/orders/{orderId}/approve', order(orderId))).response.status).toBe(202);
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    expect(await t.h.balance(accountId)).toBe(94_000);
    expect((await t.h.orderEvents(orderId)).map((e) => e.type)).toContain('OrderApproved');
    // Approving again: the order is no longer awaiting approval.
    expect((await api().POST('/orders/{orderId}/approve', order(orderId))).response.status).toBe(409);
  });

  it('cancels the order when it is rejected', async () => {
    const { accountId, orderId } = await bigOrder();
    expect(
      (await api().POST('/orders/{orderId}/reject', { ...order(orderId), body: { reason: 'looks fraudulent' } }))
        .response.status,
    ).toBe(202);
    // The reason is free text: the saga holds it sealed; the read model's answer opens it.
    expect(await t.h.result(orderId)).toMatchObject({
      status: 'CANCELLED',
      failureReason: expect.stringMatching(/^rejected: pd1\./),
    });
    expect((await t.h.orderView(orderId, 'CANCELLED')).failureReason).toBe('rejected: looks fraudulent');
    expect(await t.h.balance(accountId)).toBe(100_000);
  });

  it('rejects and compensates when nobody approves in time', async () => {
    const { orderId } = await bigOrder();
    expect(await t.h.result(orderId)).toMatchObject({ status: 'CANCELLED', failureReason: 'approval timed out' });
    expect((await t.h.orderView(orderId, 'CANCELLED')).failureReason).toBeTruthy();
  });

  it('answers 409 to approving an order that does not need approval and 404 to an unknown order', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 10, 100);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await t.h.result(orderId);
    const approve = await api().POST('/orders/{orderId}/approve', order(orderId));
    expect(approve.response.status).toBe(409);
    expect(approve.error?.error.code).toBe('invalid_state');
    const unknown = order('no-such-order');
    for (const [name, call] of [
      ['POST /orders/no-such-order/approve', () => api().POST('/orders/{orderId}/approve', unknown)],
      ['POST /orders/no-such-order/reject', () => api().POST('/orders/{orderId}/reject', unknown)],
      ['POST /orders/no-such-order/cancel', () => api().POST('/orders/{orderId}/cancel', unknown)],
      ['GET /orders/no-such-order/saga', () => api().GET('/orders/{orderId}/saga', unknown)],
      [
        'PUT /orders/no-such-order/shipping-address',
        () => api().PUT('/orders/{orderId}/shipping-address', { ...unknown, body: address }),
      ],
    ] as const) {
      const res = await call();
      expect(res.response.status, name).toBe(404);
    }
  });

  it('accepts a shipping address change before the shipment is scheduled and refuses it after', async () => {
    const { orderId } = await bigOrder();
    const newAddress = { line1: '9 Elm Rd', city: 'Shelbyville', postalCode: '54321', country: 'CA' };
    const changed = await api().PUT('/orders/{orderId}/shipping-address', { ...order(orderId), body: newAddress });
    expect(changed.response.status, JSON.stringify(changed.error)).toBe(202);
    expect(changed.data?.shippingAddress).toEqual(newAddress);
    await api().POST('/orders/{orderId}/approve', order(orderId));
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    const scheduled = (await t.h.orderEvents(orderId)).find((e) => e.type === 'ShipmentScheduled');
    // The event holds the new address sealed with the customer's key; opened, it is the one sent.
    const recorded = (scheduled!.data as { address: Record<string, string> }).address;
    expect(recorded.line1).toMatch(/^pd1\./);
    expect(await createPersonalData(t.stack.mongo.db, masterKeysOf(t.stack.config)).openDeep(recorded)).toEqual(
      newAddress,
    );

    const late = await api().PUT('/orders/{orderId}/shipping-address', { ...order(orderId), body: address });
    expect(late.response.status).toBe(409);
    expect(late.error?.error.code).toBe('invalid_state');
    const bad = await api().PUT('/orders/{orderId}/shipping-address', {
      ...order(orderId),
      body: { ...address, country: 'Utopia' },
    });
    expect(bad.response.status).toBe(400);
  });

  it('cancels a running saga from the API: compensates what was done and ends the order CANCELLED; a repeated cancel answers 202 again', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 3, 1_000);
    // Hold the saga inside the reservation step (after payment) so the cancel lands mid-saga.
    await faultsOf(api()).inject('inventory', { mode: 'hang-after-effect', hangMs: 1_500, failures: 1 });
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
    await t.h.waitForSaga(orderId, (s) => s.currentStep === 'reserveItems', 'the saga to reach reserveItems');
    expect((await api().POST('/orders/{orderId}/cancel', order(orderId))).response.status).toBe(202);

    // The API's cancel is a request the saga accepted: it ends normally, with the order CANCELLED.
    expect(await t.h.result(orderId)).toMatchObject({ status: 'CANCELLED', failureReason: 'cancelled' });
    const saga = await t.h.sagaStatus(orderId);
    expect(saga).toMatchObject({ status: 'CANCELLED', failureReason: 'cancelled' });
    expect(saga.compensationsDone).toEqual(compensationsThrough('reserveItems'));
    expect(await t.h.balance(accountId)).toBe(10_000);
    expect(await t.h.level(sku)).toMatchObject({ available: 3, reserved: 0 });
    expect((await t.h.orderView(orderId, 'CANCELLED')).failureReason).toBeTruthy();
    // Cancelling again is a harmless repeat: the same 202, with the status the order ended in.
    const again = await api().POST('/orders/{orderId}/cancel', order(orderId));
    expect(again.response.status, JSON.stringify(again.error)).toBe(202);
    expect(again.data).toEqual({ orderId, accepted: 'cancel', status: 'CANCELLED' });
    expect(await t.h.balance(accountId)).toBe(10_000);
  });

  it('starts one saga for the same Idempotency-Key and refuses the key with another body', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 100);
    const key = t.h.unique('key');
    const body = { customerId: 'c-idem', accountId, items: [{ sku, quantity: 1 }], shippingAddress: address };
    const place = (items = body.items) =>
      api().POST('/orders', { body: { ...body, items }, params: { header: idempotencyKey(key) } });
    const [a, b] = await Promise.all([place(), place()]);
    expect(a.response.status).toBe(202);
    expect(b.response.status).toBe(202);
    expect(b.data?.orderId).toBe(a.data!.orderId);
    await t.h.result(a.data!.orderId);
    const c = await place();
    expect(c.data?.orderId).toBe(a.data!.orderId);
    expect(await t.h.balance(accountId)).toBe(9_900); // charged once
    const sagas: unknown[] = [];
    for await (const w of t.stack.client.workflow.list({ query: `WorkflowId = 'order-${a.data!.orderId}'` }))
      sagas.push(w);
    expect(sagas).toHaveLength(1);

    const other = await place([{ sku, quantity: 2 }]);
    expect(other.response.status).toBe(422);
    expect(other.error?.error.code).toBe('idempotency_key_reused');
    await waitFor('balance to stay charged once', async () => (await t.h.balance(accountId)) === 9_900);
  });
});
