import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '../../../api/client';
import { checkpoints } from '../../../readside/engine/checkpoints';
import { apiOf, startStack, type Stack } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { address, fastSaga, sagaHelpers } from '../../helpers/saga';
import { waitFor } from '../../helpers/wait-for';

describe('event notification: Email and Analytics consume order events independently', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  beforeAll(async () => {
    stack = await startStack(fastSaga);
    h = sagaHelpers(stack);
  });
  afterAll(async () => {
    if (stack) await faultsOf(apiOf(stack)).clear('email');
    await stack?.stop();
  });

  const emailsOf = async (orderId: string) =>
    (await dataOf(apiOf(stack).GET('/emails', { params: { query: { orderId } } }))).emails;

  it('sends a confirmation and records the sale for a completed order, and a notice for a cancelled one', async () => {
    const accountId = await h.openAccount(5_000);
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 1_000);
    const ok = await h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
    await h.result(ok.orderId); // one after the other: the second is declined only once the first has paid
    const declined = await h.placeOrder({ accountId, items: [{ sku, quantity: 5 }] }); // 5,000 > 3,000 left
    await h.result(declined.orderId);

    await waitFor(
      'emails for both orders',
      async () => (await emailsOf(ok.orderId)).length === 2 && (await emailsOf(declined.orderId)).length === 2,
    );
    expect((await emailsOf(ok.orderId)).map((e) => e.kind).sort()).toEqual(['order-confirmed', 'order-received']);
    expect((await emailsOf(declined.orderId)).map((e) => e.kind).sort()).toEqual(['order-cancelled', 'order-received']);

    // Analytics (the sales read model) counts the completed order only.
    const sales = await waitFor('the sale in analytics', async () => {
      const rows = (await dataOf(apiOf(stack).GET('/analytics/sales', { params: { query: { groupBy: 'sku' } } }))).rows;
      return rows.find((r) => r.sku === sku);
    });
    expect(sales).toEqual({ sku, orders: 1, units: 2, revenue: 2_000 });
  });

  it('completes orders while the email service is down, then sends every email exactly once after it recovers', async () => {
    const accountId = await h.openAccount(100_000);
    const sku = h.unique('SKU');
    await h.stock(sku, 10, 1_000);
    expect((await faultsOf(apiOf(stack)).inject('email', { mode: 'error' })).response.status).toBe(200);
    const failuresBefore = (await checkpoints(stack.mongo.db).findOne({ _id: 'email' }))?.failures ?? 0;

    const orders: Array<{ orderId: string }> = [];
    for (let i = 0; i < 3; i++)
      orders.push(await h.placeOrder({ accountId, items: [{ sku, quantity: 1 }], shippingAddress: address }));
    for (const { orderId } of orders) expect((await h.result(orderId)).status).toBe('COMPLETED');

    // Orders are done; the email service kept failing and sent nothing for them.
    await waitFor(
      'the email consumer to fail at least twice',
      async () => ((await checkpoints(stack.mongo.db).findOne({ _id: 'email' }))?.failures ?? 0) >= failuresBefore + 2,
    );
    for (const { orderId } of orders) expect(await emailsOf(orderId)).toEqual([]);
    // Analytics is independent: it recorded the sales meanwhile.
    await waitFor('analytics to record all three sales', async () => {
      const rows = (await dataOf(apiOf(stack).GET('/analytics/sales', { params: { query: { groupBy: 'sku' } } }))).rows;
      return rows.find((r) => r.sku === sku)?.orders === 3;
    });

    expect((await faultsOf(apiOf(stack)).clear('email')).response.status).toBe(204);
    await waitFor('all emails after recovery', async () => {
      const counts = await Promise.all(orders.map(async ({ orderId }) => (await emailsOf(orderId)).length));
      return counts.every((n) => n === 2);
    });
    // Exactly once: each order has one of each kind, and the total does not grow with redelivery.
    for (const { orderId } of orders)
      expect((await emailsOf(orderId)).map((e) => e.kind).sort()).toEqual(['order-confirmed', 'order-received']);
    const total = await stack.mongo.db
      .collection('emails')
      .countDocuments({ orderId: { $in: orders.map((o) => o.orderId) } });
    expect(total).toBe(6);
  });
});
