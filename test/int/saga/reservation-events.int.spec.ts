import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInventoryActivities } from '../../../activities/inventory';
import type { EventLog } from '../../../activities/support';
import type { OrderItemInput } from '../../../domain/orders';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';

/**
 * Inventory keeps its atomic per-SKU document update and tells the reservation afterwards. What the
 * read side sees of an order's reservation stream (ItemsReserved adds to reserved, ItemsReleased
 * takes away) must add up to what the stock documents did, even when reserveItems' retries ran
 * out between its stock update and its event.
 */
describe('reservation events', () => {
  let s: FreshStore;
  let unique = 0;
  beforeAll(async () => {
    s = await freshStore();
  });
  afterAll(() => s?.close());

  const stock = async (sku: string, available: number) =>
    s.db.collection('inventory').insertOne({
      _id: sku as never,
      available,
      reserved: 0,
      price: 100,
      reservations: {},
      released: {},
      updatedAt: new Date(),
    });
  const level = async (sku: string) => {
    const doc = await s.db.collection('inventory').findOne({ _id: sku as never });
    return { available: doc!.available as number, reserved: doc!.reserved as number };
  };
  const stream = (orderId: string) => s.store.readStream(`reservation-${orderId}`);
  /** What the inventory projection makes of the order's events: reserved per SKU, by increments. */
  const toldReserved = async (orderId: string) => {
    const net: Record<string, number> = {};
    for (const e of await stream(orderId)) {
      const sign = e.type === 'ItemsReserved' ? 1 : e.type === 'ItemsReleased' ? -1 : 0;
      for (const item of (e.data as { items: OrderItemInput[] }).items)
        net[item.sku] = (net[item.sku] ?? 0) + sign * item.quantity;
    }
    return net;
  };

  /** The store, except that appends to reservation streams die before they are written (every retry of the step). */
  const reservationsDown: EventLog = {
    append: (streamId, events, options) =>
      streamId.startsWith('reservation-')
        ? Promise.reject(new Error('worker killed after the stock update'))
        : s.store.append(streamId, events, options),
  };

  it('tells the reservation before its release when reserveItems ran out of retries after taking the stock', async () => {
    const [a, b] = [`SKU-A-${++unique}`, `SKU-B-${unique}`];
    await stock(a, 10);
    await stock(b, 10);
    const ctx = {
      orderId: `crashed-${unique}`,
      correlationId: 'c',
      items: [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ],
    };
    const dying = createInventoryActivities({ db: s.db, events: reservationsDown });
    for (let attempt = 0; attempt < 3; attempt++)
      await expect(dying.reserveItems(ctx)).rejects.toThrow('worker killed');
    expect(await level(a)).toEqual({ available: 8, reserved: 2 });
    expect(await stream(ctx.orderId)).toEqual([]);

    const act = createInventoryActivities({ db: s.db, events: s.store });
    expect(await act.releaseItems(ctx)).toEqual({
      items: [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ],
    });
    expect(await act.releaseItems(ctx)).toEqual({
      items: [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ],
    });
    expect((await stream(ctx.orderId)).map((e) => e.type)).toEqual(['ItemsReserved', 'ItemsReleased']);
    expect(await toldReserved(ctx.orderId)).toEqual({ [a]: 0, [b]: 0 });
    expect(await level(a)).toEqual({ available: 10, reserved: 0 });
  });

  it('tells a reservation once when reserveItems told it, and nothing for an order that reserved nothing', async () => {
    const sku = `SKU-C-${++unique}`;
    await stock(sku, 10);
    const act = createInventoryActivities({ db: s.db, events: s.store });
    const ctx = { orderId: `told-${unique}`, correlationId: 'c', items: [{ sku, quantity: 4 }] };
    await act.reserveItems(ctx);
    await act.releaseItems(ctx);
    expect((await stream(ctx.orderId)).map((e) => e.type)).toEqual(['ItemsReserved', 'ItemsReleased']);
    expect(await toldReserved(ctx.orderId)).toEqual({ [sku]: 0 });

    const nothing = { orderId: `nothing-${unique}`, correlationId: 'c', items: [{ sku, quantity: 4 }] };
    expect(await act.releaseItems(nothing)).toEqual({ items: [] });
    expect(await stream(nothing.orderId)).toEqual([]);
    expect(await level(sku)).toEqual({ available: 10, reserved: 0 });
  });

  it('tells a reservation once whether its stream is new, already holds it, or holds other events', async () => {
    const sku = `SKU-D-${++unique}`;
    await stock(sku, 10);
    const act = createInventoryActivities({ db: s.db, events: s.store });
    const fresh = { orderId: `fresh-${unique}`, correlationId: 'c', items: [{ sku, quantity: 1 }] };
    await act.reserveItems(fresh);
    // A retry whose first append landed: the same event, written once.
    await act.reserveItems(fresh);
    expect((await stream(fresh.orderId)).map((e) => [e.type, e.version])).toEqual([['ItemsReserved', 1]]);

    // A stream that holds an event already (a release told before the reservation was told first): the reservation follows it.
    const crowded = { orderId: `crowded-${unique}`, correlationId: 'c', items: [{ sku, quantity: 2 }] };
    await s.store.append(
      `reservation-${crowded.orderId}`,
      [{ type: 'ItemsReleased', data: { orderId: crowded.orderId, items: [] } }],
      { streamType: 'reservation' },
    );
    await act.reserveItems(crowded);
    await act.reserveItems(crowded);
    expect((await stream(crowded.orderId)).map((e) => [e.type, e.version])).toEqual([
      ['ItemsReleased', 1],
      ['ItemsReserved', 2],
    ]);
    expect(await toldReserved(crowded.orderId)).toEqual({ [sku]: 2 });
    expect(await level(sku)).toEqual({ available: 7, reserved: 3 });
  });
});
