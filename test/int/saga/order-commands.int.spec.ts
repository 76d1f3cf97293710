import { MockActivityEnvironment } from '@temporalio/testing';
import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';
import { workerActivities } from '../../../composition';

/**
 * What each step of the Order service costs in MongoDB commands, counted by the driver's command
 * monitoring on a process that has seen the order before (the usual case: one worker runs a saga's
 * steps). Each state change is one write (one insert into the log, nothing else updated); the
 * bounds are the store's conditional append on its usual path: the position reservation and the
 * insert (a new order's stream is expected empty, and the version a step expects is the one this
 * process wrote last, so neither the stream's head nor the event ids are looked up). A new order is priced
 * with the prices the API placed it with, carried in the saga's input; only an input without them
 * (a saga started before they were, or from the command line) reads the catalog.
 */
describe('the Order service writes each state change as one append', () => {
  let s: FreshStore;
  let act: ReturnType<typeof createActivities>;
  const commands: string[] = [];
  /** The collection of each command in `commands`. */
  const collections: string[] = [];
  const env = new MockActivityEnvironment();
  const sku = 'CMD-SKU';
  const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
  const settings = { approvalThreshold: 5_000 } as never;
  /** A saga's input as the API makes it: with the catalog prices it placed the order with. */
  const input = (orderId: string, quantity = 1, prices: Record<string, number> | null = { [sku]: 1_000 }) =>
    ({
      orderId,
      correlationId: `c-${orderId}`,
      customerId: 'cust',
      accountId: 'acc',
      items: [{ sku, quantity }],
      shippingAddress: address,
      settings,
      ...(prices && { prices }),
    }) as never;
  const ignored = new Set([
    'hello',
    'isMaster',
    'ismaster',
    'ping',
    'buildInfo',
    'endSessions',
    'createIndexes',
    'listIndexes',
  ]);

  /** The commands one call sends, by name. */
  async function count(step: () => Promise<unknown>): Promise<string[]> {
    commands.length = 0;
    collections.length = 0;
    await step();
    return [...commands];
  }
  const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => env.run(fn, ...args);

  beforeAll(async () => {
    s = await freshStore({ monitorCommands: true });
    s.client.on('commandStarted', (e: CommandStartedEvent) => {
      if (!ignored.has(e.commandName) && e.databaseName === s.db.databaseName) {
        commands.push(e.commandName);
        collections.push(String((e.command as Record<string, unknown>)[e.commandName]));
      }
    });
    act = workerActivities({ db: s.db });
    await s.db.collection('inventory').insertOne({
      _id: sku as never,
      available: 1_000,
      reserved: 0,
      price: 1_000,
      reservations: {},
      released: {},
      updatedAt: new Date(),
    });
    // One order first, so what is measured below is the steady state, not the store's first use.
    await run(act.createOrder, input('warm-up'));
    await run(act.completeOrder, { orderId: 'warm-up', correlationId: 'c-warm-up' });
  });
  afterAll(() => s?.close());

  it('counts the commands of createOrder, recordApproval and completeOrder', async () => {
    const created = await count(() => run(act.createOrder, input('forward', 6)));
    const approved = await count(() => run(act.recordApproval, { orderId: 'forward', correlationId: 'c-forward' }));
    const completed = await count(() => run(act.completeOrder, { orderId: 'forward', correlationId: 'c-forward' }));
    console.log('forward path commands', { created, approved, completed });
    for (const step of [created, approved, completed])
      expect(step.filter((c) => c !== 'find' && c !== 'findAndModify')).toEqual(['insert']);
    expect(created.length).toBeLessThanOrEqual(2);
    expect(approved.length).toBeLessThanOrEqual(2);
    expect(completed.length).toBeLessThanOrEqual(2);
    expect((await s.store.readStream('order-forward')).map((e) => e.type)).toEqual([
      'OrderCreated',
      'OrderApproved',
      'OrderCompleted',
    ]);
  });

  it('counts the commands of the cancel path: createOrder, markCompensating, cancelOrder', async () => {
    const created = await count(() => run(act.createOrder, input('undone')));
    const compensating = await count(() =>
      run(act.markCompensating, { orderId: 'undone', correlationId: 'c-undone', reason: 'declined' }),
    );
    const cancelled = await count(() =>
      run(act.cancelOrder, { orderId: 'undone', correlationId: 'c-undone', reason: 'declined' }),
    );
    console.log('cancel path commands', { created, compensating, cancelled });
    for (const step of [created, compensating, cancelled])
      expect(step.filter((c) => c !== 'find' && c !== 'findAndModify')).toEqual(['insert']);
    expect(created.length).toBeLessThanOrEqual(2);
    expect(compensating.length).toBeLessThanOrEqual(2);
    expect(cancelled.length).toBeLessThanOrEqual(2);
    expect((await s.store.readStream('order-undone')).map((e) => e.type)).toEqual([
      'OrderCreated',
      'OrderCompensating',
      'OrderCancelled',
    ]);
  });

  it('prices a new order with the prices of its placement, reading the catalog only for an input without them', async () => {
    // The catalog says 1,000; the order was placed at 700 (the price when the API read it).
    const placed = await count(() => run(act.createOrder, input('placed-price', 2, { [sku]: 700 })));
    const placedCollections = [...collections];
    const created = (await s.store.readStream('order-placed-price'))[0]!;
    expect(created.data).toMatchObject({ items: [{ sku, quantity: 2, unitPrice: 700 }], total: 1_400 });
    expect(placedCollections).not.toContain('inventory');
    expect(placed.length).toBeLessThanOrEqual(2);

    const unplaced = await count(() => run(act.createOrder, input('unplaced-price', 2, null)));
    const unplacedCollections = [...collections];
    console.log('createOrder commands', {
      placed: placed.map((c, i) => `${c} ${placedCollections[i]}`),
      unplaced: unplaced.map((c, i) => `${c} ${unplacedCollections[i]}`),
    });
    expect(unplacedCollections).toContain('inventory');
    expect(unplaced.length).toBeLessThanOrEqual(3);
    expect((await s.store.readStream('order-unplaced-price'))[0]!.data).toMatchObject({
      items: [{ sku, quantity: 2, unitPrice: 1_000 }],
      total: 2_000,
    });

    // Prices that leave out a SKU of the order are no prices: the catalog prices it.
    await run(act.createOrder, input('partly-priced', 1, { 'OTHER-SKU': 5 }));
    expect((await s.store.readStream('order-partly-priced'))[0]!.data).toMatchObject({
      items: [{ sku, quantity: 1, unitPrice: 1_000 }],
      total: 1_000,
    });
  });
});
