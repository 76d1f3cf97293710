import { describe, expect, it } from 'vitest';
import { ACTIVITY_STEPS } from '../../../domain/orders/steps';
import { apiOf } from '../../helpers/stack';
import { fastSaga, useSagaStack } from '../../helpers/saga';

describe('order saga: happy path', () => {
  const t = useSagaStack(fastSaga);

  it('completes the order, charges the account once, reserves the stock and records the events in order with one correlation id', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 1_500);

    const { orderId } = await t.h.placeOrder(
      { accountId, items: [{ sku, quantity: 2 }] },
      { 'x-correlation-id': `corr-${sku}` },
    );
    expect(await t.h.result(orderId)).toEqual({ orderId, status: 'COMPLETED', failureReason: null });

    expect(await t.h.balance(accountId)).toBe(7_000);
    const debits = (await t.h.accountEvents(accountId)).filter((e) => e.type === 'Withdrawn');
    expect(debits).toHaveLength(1);
    expect(debits[0]!.data).toMatchObject({ amount: 3_000, reference: orderId });
    expect(debits[0]!.metadata.correlationId).toBe(`corr-${sku}`);
    expect(await t.h.level(sku)).toMatchObject({ available: 3, reserved: 2, price: 1_500 });

    const events = await t.h.orderEvents(orderId);
    expect(events.map((e) => e.type)).toEqual([
      'OrderCreated',
      'Withdrawn',
      'PaymentCompleted',
      'ItemsReserved',
      'ShipmentScheduled',
      'OrderCompleted',
    ]);
    expect(new Set(events.map((e) => e.metadata.correlationId))).toEqual(new Set([`corr-${sku}`]));
    expect(events.every((e) => e.metadata.workflowId === `order-${orderId}`)).toBe(true);
    const positions = events.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    // Prices and the total come from the catalog.
    const order = await t.h.orderView(orderId, 'COMPLETED');
    expect(order).toMatchObject({ status: 'COMPLETED', total: 3_000, items: [{ sku, quantity: 2, unitPrice: 1_500 }] });

    const saga = await t.h.sagaStatus(orderId);
    expect(saga).toMatchObject({ status: 'COMPLETED', stepsDone: [...ACTIVITY_STEPS], compensationsDone: [] });
  });

  it('refuses an order for an unknown SKU with 422 and starts nothing', async () => {
    const accountId = await t.h.openAccount(1_000);
    const before = await t.stack.mongo.db.collection('events').countDocuments();
    const res = await apiOf(t.stack).POST('/orders', {
      body: {
        customerId: 'c',
        accountId,
        items: [{ sku: 'NOPE-1', quantity: 1 }],
        shippingAddress: { line1: 'x', city: 'y', postalCode: '1', country: 'US' },
      },
    });
    expect(res.response.status).toBe(422);
    expect(res.error?.error.code).toBe('unknown_sku');
    expect(await t.stack.mongo.db.collection('events').countDocuments()).toBe(before);
  });
});
