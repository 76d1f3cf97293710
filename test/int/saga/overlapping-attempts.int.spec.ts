import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createAccountService } from '../../../domain/accounts';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';

/**
 * A step attempt that timed out may still be running when its retry, or its compensation, runs.
 * These races are generated many times over with the real services on the real MongoDB server:
 * whichever write lands first, no stock, booking or money may leak.
 */
describe('overlapping attempts cannot slip past a compensation', () => {
  let s: FreshStore;
  let act: ReturnType<typeof createActivities>;
  const ROUNDS = 25;
  const pause = () => new Promise((r) => setTimeout(r, Math.random() * 6));
  beforeAll(async () => {
    s = await freshStore();
    act = createActivities({ db: s.db });
  });
  afterAll(() => s?.close());

  it('a late reservation racing the release never keeps stock for a released order', async () => {
    const sku = 'RACE-SKU';
    await s.db.collection('inventory').insertOne({ _id: sku as never, available: 1_000, reserved: 0, price: 100, reservations: {}, released: {}, updatedAt: new Date() });
    for (let i = 0; i < ROUNDS; i++) {
      const ctx = { orderId: `race-${i}`, correlationId: `c-${i}`, items: [{ sku, quantity: 3 }] };
      await Promise.allSettled([pause().then(() => act.reserveItems(ctx)), pause().then(() => act.releaseItems(ctx))]);
    }
    const doc = await s.db.collection('inventory').findOne({ _id: sku as never });
    expect(Object.keys(doc!.reservations)).toEqual([]);
    expect({ available: doc!.available, reserved: doc!.reserved }).toEqual({ available: 1_000, reserved: 0 });
  });

  it('a late booking racing the cancellation never leaves a shipment scheduled', async () => {
    const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
    for (let i = 0; i < ROUNDS; i++) {
      const ctx = { orderId: `ship-${i}`, correlationId: `c-${i}` };
      await Promise.allSettled([pause().then(() => act.scheduleShipment({ ...ctx, address })), pause().then(() => act.cancelShipment(ctx))]);
    }
    const scheduled = await s.db.collection('shipments').countDocuments({ status: 'scheduled' });
    expect(scheduled).toBe(0);
  });

  it('twin attempts of one debit charge once and both succeed, even when the balance covers only one', async () => {
    const accounts = createAccountService({ store: s.store });
    for (let i = 0; i < ROUNDS; i++) {
      const { accountId } = await accounts.openAccount({ owner: `twin-${i}`, initialDeposit: 500 });
      const debit = () => accounts.withdraw({ accountId, amount: 500, eventId: `twin-debit-${i}`, reason: 'order-payment' });
      const outcomes = await Promise.allSettled([debit(), pause().then(debit)]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      expect((await accounts.history(accountId)).filter((e) => e.type === 'Withdrawn')).toHaveLength(1);
      expect((await accounts.getAccount(accountId))!.balance).toBe(0);
    }
  });

  it('a late completion after the order was cancelled is refused and writes nothing', async () => {
    const ctx = { orderId: 'late-complete', correlationId: 'c' };
    const order = { customerId: 'cust', accountId: 'acc', items: [{ sku: 'RACE-SKU', quantity: 1 }], shippingAddress: { line1: 'x', city: 'y', postalCode: '1', country: 'US' } };
    await act.cancelOrder({ ...ctx, reason: 'cancelled', order });
    await expect(act.completeOrder(ctx)).rejects.toMatchObject({ type: 'OrderClosed' });
    const stream = (await s.store.readStream('order-late-complete')).map((e) => e.type);
    expect(stream).toEqual(['OrderCreated', 'OrderCancelled']);
  });
});
