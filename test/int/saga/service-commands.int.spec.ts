import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandStartedEvent } from 'mongodb';
import { createActivities } from '../../../activities';
import { createInventoryCatalog } from '../../../activities/inventory';
import { createAccountService } from '../../../domain/accounts';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';
import { workerActivities } from '../../../composition';

/**
 * What each payment, inventory and shipping activity costs in MongoDB commands (the driver's
 * command monitoring), with the account's fold warm as it is in a running worker. The bounds are
 * what the services need now: a read of the stream where a decision must come before a side effect
 * (a late charge of a voided payment refuses before any money moves), the debit or the credit (its
 * append, decided on the account's kept fold; the debit carries PaymentCompleted in the same write), the stock update, and one conditional append.
 * The address here is not sealed, so scheduleShipment reads no key; a worker's also reads the
 * customer's key to open the postal code. An append on its usual path is the position reservation and the insert: a new stream is
 * expected empty and a kept fold's version is the head this process wrote or read, so neither the
 * head nor the event ids are looked up first.
 */
describe('MongoDB commands per payment, inventory and shipping activity', () => {
  let s: FreshStore;
  let act: ReturnType<typeof createActivities>;
  const commands: CommandStartedEvent[] = [];
  const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
  let accountId: string;

  beforeAll(async () => {
    s = await freshStore({ monitorCommands: true });
    s.client.on('commandStarted', (e) => {
      if (e.databaseName === s.db.databaseName) commands.push(e);
    });
    act = workerActivities({ db: s.db });
    ({ accountId } = await createAccountService({ store: s.store }).openAccount({
      owner: 'counted',
      initialDeposit: 1_000_000,
    }));
    await createInventoryCatalog({ db: s.db, events: s.store }).restock({
      sku: 'COUNTED',
      quantity: 1_000,
      price: 100,
      correlationId: 'c',
    });
    // A worker that has served an order before: the account's fold, the store's indexes and the server's abilities are known.
    const warm = { orderId: 'warm-up', correlationId: 'c' };
    await act.processPayment({ ...warm, accountId, amount: 100 });
    await act.reserveItems({ ...warm, items: [{ sku: 'COUNTED', quantity: 1 }] });
    await act.scheduleShipment({ ...warm, address });
    await act.cancelShipment({ orderId: 'warm-up-2', correlationId: 'c' });
    await act.refundPayment({ orderId: 'warm-up-2', correlationId: 'c', accountId });
  });
  afterAll(() => s?.close());

  async function counted<T>(run: () => Promise<T>): Promise<{ result: T; names: string[] }> {
    commands.length = 0;
    const result = await run();
    return {
      result,
      names: commands.map((c) => `${c.commandName} ${String((c.command as Record<string, unknown>)[c.commandName])}`),
    };
  }

  it('charges, reserves, books, cancels and refunds within their command budgets', async () => {
    const ctx = { orderId: 'counted-1', correlationId: 'c' };
    const figures: Record<string, string[]> = {};
    figures.processPayment = (await counted(() => act.processPayment({ ...ctx, accountId, amount: 300 }))).names;
    figures.reserveItems = (
      await counted(() => act.reserveItems({ ...ctx, items: [{ sku: 'COUNTED', quantity: 2 }] }))
    ).names;
    figures.scheduleShipment = (await counted(() => act.scheduleShipment({ ...ctx, address }))).names;
    figures['processPayment (repeat)'] = (
      await counted(() => act.processPayment({ ...ctx, accountId, amount: 300 }))
    ).names;
    figures['scheduleShipment (repeat)'] = (await counted(() => act.scheduleShipment({ ...ctx, address }))).names;
    figures.cancelShipment = (await counted(() => act.cancelShipment(ctx))).names;
    figures.refundPayment = (await counted(() => act.refundPayment({ ...ctx, accountId }))).names;
    const never = { orderId: 'counted-2', correlationId: 'c' };
    figures['cancelShipment (never booked)'] = (await counted(() => act.cancelShipment(never))).names;
    figures['refundPayment (never charged)'] = (await counted(() => act.refundPayment({ ...never, accountId }))).names;
    console.log(
      Object.entries(figures)
        .map(([name, names]) => `${name}: ${names.length} (${names.join(', ')})`)
        .join('\n'),
    );

    // The payment's stream read before money moves, then the debit and PaymentCompleted in one reservation and one insert.
    expect(figures.processPayment).toEqual(['find events', 'findAndModify counters', 'insert events']);
    expect(figures.reserveItems.length).toBeLessThanOrEqual(3);
    expect(figures.refundPayment.length).toBeLessThanOrEqual(6);
    expect(figures.scheduleShipment.length).toBeLessThanOrEqual(2);
    expect(figures.cancelShipment.length).toBeLessThanOrEqual(3);
    expect(figures['processPayment (repeat)'].length).toBeLessThanOrEqual(1);
    expect(figures['scheduleShipment (repeat)'].length).toBeLessThanOrEqual(1);
    expect(figures['cancelShipment (never booked)'].length).toBeLessThanOrEqual(4);
    expect(figures['refundPayment (never charged)'].length).toBeLessThanOrEqual(5);
  });
});
