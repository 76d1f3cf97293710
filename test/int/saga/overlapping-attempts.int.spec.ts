import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createAccountService } from '../../../domain/accounts';
import {
  evolve as evolveShipment,
  initialState as initialShipment,
  type ShipmentDecision,
} from '../../../domain/shipments';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';
import { workerActivities } from '../../../composition';

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
    act = workerActivities({ db: s.db });
  });
  afterAll(() => s?.close());

  it('a late reservation racing the release never keeps stock for a released order', async () => {
    const sku = 'RACE-SKU';
    await s.db.collection('inventory').insertOne({
      _id: sku as never,
      available: 1_000,
      reserved: 0,
      price: 100,
      reservations: {},
      released: {},
      updatedAt: new Date(),
    });
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
      await Promise.allSettled([
        pause().then(() => act.scheduleShipment({ ...ctx, address })),
        pause().then(() => act.cancelShipment(ctx)),
      ]);
    }
    // The shipment's state is the fold of its stream, as the Shipping service reads it.
    const states = await Promise.all(
      Array.from({ length: ROUNDS }, async (_, i) =>
        (await s.store.readStream(`shipment-ship-${i}`)).reduce(
          (state, e) => evolveShipment(state, e as unknown as ShipmentDecision),
          initialShipment(),
        ),
      ),
    );
    expect(states.filter((state) => state.status === 'scheduled')).toHaveLength(0);
  });

  it('twin attempts of one debit charge once and both succeed, even when the balance covers only one', async () => {
    const accounts = createAccountService({ store: s.store });
    for (let i = 0; i < ROUNDS; i++) {
      const { accountId } = await accounts.openAccount({ owner: `twin-${i}`, initialDeposit: 500 });
      const debit = () =>
        accounts.withdraw({ accountId, amount: 500, eventId: `twin-debit-${i}`, reason: 'order-payment' });
      const outcomes = await Promise.allSettled([debit(), pause().then(debit)]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      expect((await accounts.history(accountId)).filter((e) => e.type === 'Withdrawn')).toHaveLength(1);
      expect((await accounts.getAccount(accountId))!.balance).toBe(0);
    }
  });

  it('a late completion after the order was cancelled is refused and writes nothing', async () => {
    const ctx = { orderId: 'late-complete', correlationId: 'c' };
    const order = {
      customerId: 'cust',
      accountId: 'acc',
      items: [{ sku: 'RACE-SKU', quantity: 1 }],
      shippingAddress: { line1: 'x', city: 'y', postalCode: '1', country: 'US' },
    };
    await act.cancelOrder({ ...ctx, reason: 'cancelled', order });
    await expect(act.completeOrder(ctx)).rejects.toMatchObject({ type: 'OrderClosed' });
    const stream = (await s.store.readStream('order-late-complete')).map((e) => e.type);
    expect(stream).toEqual(['OrderCreated', 'OrderCancelled']);
  });

  it('a worker whose kept fold of the order is behind decides again on the stream: a late completion is refused, a current one lands once', async () => {
    const settings = { approvalThreshold: 1_000_000 } as never;
    const address = { line1: 'x', city: 'y', postalCode: '1', country: 'US' };
    // Two workers, each keeping its own folds: the one that created the order is behind once the other moves it.
    const other = workerActivities({ db: s.db });
    await s.db.collection('inventory').insertOne({
      _id: 'KEPT-SKU' as never,
      available: 1_000,
      reserved: 0,
      price: 100,
      reservations: {},
      released: {},
      updatedAt: new Date(),
    });
    for (let i = 0; i < ROUNDS; i++) {
      const undone = { orderId: `stale-${i}`, correlationId: 'c' };
      const kept = { orderId: `kept-${i}`, correlationId: 'c' };
      for (const ctx of [undone, kept])
        await act.createOrder({
          ...ctx,
          customerId: 'cust',
          accountId: 'acc',
          items: [{ sku: 'KEPT-SKU', quantity: 1 }],
          shippingAddress: address,
          settings,
        });
      await Promise.allSettled([
        pause().then(() => other.markCompensating({ ...undone, reason: 'cancelled' })),
        pause().then(() => act.completeOrder(undone)),
      ]);
      const stream = (await s.store.readStream(`order-${undone.orderId}`)).map((e) => e.type);
      // Whichever append came first, the other lost the version race and was refused on the stream as it then was.
      expect([
        ['OrderCreated', 'OrderCompensating'],
        ['OrderCreated', 'OrderCompleted'],
      ]).toContainEqual(stream);
      await other.recordApproval(kept);
      await act.completeOrder(kept);
      expect(
        (await s.store.readStream(`order-${kept.orderId}`)).map((e) => e.type).filter((t) => t === 'OrderCompleted'),
      ).toHaveLength(1);
    }
    expect(await s.db.collection('orders').countDocuments()).toBe(0);
  });
});
