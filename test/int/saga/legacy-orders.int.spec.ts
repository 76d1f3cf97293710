import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createOrderCustomers } from '../../../activities/services';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';
import { workerActivities } from '../../../composition';
import { createEventStore } from '../../../eventstore';

/**
 * Orders of the previous version were kept in one document each, written before their events; a
 * crash in between left the document ahead of the stream (no OrderCreated, or a status the stream
 * lacks). Such orders go on working: the service reads the document when it folds the stream
 * afresh, records what the stream is missing with its next append, and decides as the document said.
 */
describe('orders recorded only in a document of the previous version', () => {
  let s: FreshStore;
  let act: ReturnType<typeof createActivities>;
  const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
  const facts = {
    customerId: 'sealed-cust',
    customer: 'pseudonym',
    accountId: 'acc',
    items: [{ sku: 'OLD-SKU', quantity: 2, unitPrice: 700 }],
    total: 1_400,
    shippingAddress: address,
    requiresApproval: false,
  };
  const ctx = (orderId: string) => ({ orderId, correlationId: `c-${orderId}` });
  const types = async (orderId: string) => (await s.store.readStream(`order-${orderId}`)).map((e) => e.type);

  /** A document as the previous version wrote it, and the events it got to append (none, or some). */
  async function legacyOrder(
    orderId: string,
    status: string,
    events: Array<{ type: string; data: Record<string, unknown> }> = [],
  ) {
    const now = new Date();
    await s.db.collection('orders').insertOne({
      _id: orderId as never,
      ...facts,
      status,
      failureReason: null,
      correlationId: `c-${orderId}`,
      workflowId: `order-${orderId}`,
      createdAt: now,
      updatedAt: now,
    });
    for (const e of events)
      await s.store.append(`order-${orderId}`, [{ type: e.type, data: { orderId, ...e.data } }], {
        streamType: 'order',
      });
  }
  const createdEvent = { type: 'OrderCreated', data: { ...facts } };

  beforeAll(async () => {
    s = await freshStore();
    act = workerActivities({ db: s.db });
    // The catalog's price has changed since: the document's price, the one charged, must stay.
    await s.db.collection('inventory').insertOne({
      _id: 'OLD-SKU' as never,
      available: 10,
      reserved: 0,
      price: 999,
      reservations: {},
      released: {},
      updatedAt: new Date(),
    });
  });
  afterAll(() => s?.close());

  it('a document with no events is marked compensating and cancelled, its stream starting with the OrderCreated the document holds', async () => {
    await legacyOrder('doc-only', 'PENDING');
    await act.markCompensating({
      ...ctx('doc-only'),
      reason: 'declined',
      order: { customerId: 'x', accountId: 'acc', items: [{ sku: 'OLD-SKU', quantity: 2 }], shippingAddress: address },
    });
    await act.cancelOrder({ ...ctx('doc-only'), reason: 'declined' });
    const stream = await s.store.readStream('order-doc-only');
    expect(stream.map((e) => e.type)).toEqual(['OrderCreated', 'OrderCompensating', 'OrderCancelled']);
    expect(stream[0]!.data).toMatchObject({
      customerId: 'sealed-cust',
      customer: 'pseudonym',
      total: 1_400,
      items: [{ sku: 'OLD-SKU', quantity: 2, unitPrice: 700 }],
    });
    expect(stream[2]!.data).toMatchObject({ customerId: 'sealed-cust', total: 1_400, reason: 'declined' });
  });

  it('a document with no events completes once, and is then never compensated', async () => {
    await legacyOrder('doc-complete', 'PENDING');
    await act.completeOrder(ctx('doc-complete'));
    await act.completeOrder(ctx('doc-complete'));
    expect(await types('doc-complete')).toEqual(['OrderCreated', 'OrderCompleted']);
    await expect(act.markCompensating({ ...ctx('doc-complete'), reason: 'late' })).rejects.toMatchObject({
      type: 'OrderClosed',
    });
  });

  it('a document marked compensating whose event is missing refuses a late completion, and is cancelled', async () => {
    await legacyOrder('partial-compensating', 'COMPENSATING', [createdEvent]);
    await expect(act.completeOrder(ctx('partial-compensating'))).rejects.toMatchObject({ type: 'OrderClosed' });
    await act.cancelOrder({ ...ctx('partial-compensating'), reason: 'out of stock' });
    expect(await types('partial-compensating')).toEqual(['OrderCreated', 'OrderCompensating', 'OrderCancelled']);
  });

  it('a document completed whose event is missing refuses compensation and records its completion', async () => {
    await legacyOrder('partial-completed', 'COMPLETED', [createdEvent]);
    await expect(act.markCompensating({ ...ctx('partial-completed'), reason: 'late' })).rejects.toMatchObject({
      type: 'OrderClosed',
    });
    await expect(act.cancelOrder({ ...ctx('partial-completed'), reason: 'late' })).rejects.toMatchObject({
      type: 'OrderClosed',
    });
    await act.completeOrder(ctx('partial-completed'));
    expect(await types('partial-completed')).toEqual(['OrderCreated', 'OrderCompleted']);
  });

  it('the API finds the customer of an order that only its document records', async () => {
    await legacyOrder('doc-customer', 'AWAITING_APPROVAL');
    expect(await createOrderCustomers(s.db, createEventStore(s.db)).of('doc-customer')).toEqual({
      customerId: 'sealed-cust',
      customer: 'pseudonym',
    });
    expect(await createOrderCustomers(s.db, createEventStore(s.db)).of('no-such-order')).toBeNull();
  });
});
