import type { Collection, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import { accountsProjection } from '../../../readside/projections/accounts';
import { inventoryProjection } from '../../../readside/projections/inventory';
import { salesProjection } from '../../../readside/projections/sales';
import { documentsHold } from '../../../readside/projections/types';

const event = (position: number, type: string, data: object, streamId = `x-${position}`): StoredEvent =>
  ({
    streamId,
    streamType: streamId.split('-')[0],
    version: 1,
    position,
    type,
    data,
    metadata: { eventId: `e${position}`, timestamp: new Date('2026-12-06T03:00:00Z') },
  }) as unknown as StoredEvent;

/** A collection that answers a find with these documents (the ids asked for among them). */
function collectionOf(docs: Document[]): Collection<Document> {
  return {
    find: (filter: { _id: { $in: string[] } }) => ({
      toArray: async () => docs.filter((d) => filter._id.$in.includes(String(d._id))),
    }),
  } as unknown as Collection<Document>;
}

describe('documentsHold: whether a list shows an event, from the documents the event writes', () => {
  const adjusted = event(42, 'StockAdjusted', { sku: 'A', quantity: 5, price: 900 }, 'inventory-A');

  it.each([
    { name: 'no document yet', docs: [], holds: false },
    { name: 'another position applied only', docs: [{ _id: 'A', applied: [41], pricePosition: 41 }], holds: false },
    {
      name: 'its guarded write in, its price not yet (between two operations of one bulk write)',
      docs: [{ _id: 'A', applied: [41, 42], pricePosition: 42, pricedPosition: 41 }],
      holds: false,
    },
    {
      name: 'both writes in',
      docs: [{ _id: 'A', applied: [41, 42], pricePosition: 42, pricedPosition: 42 }],
      holds: true,
    },
    {
      name: 'a later adjustment priced it (this price write was a no-op)',
      docs: [{ _id: 'A', applied: [42, 43], pricePosition: 43, pricedPosition: 43 }],
      holds: true,
    },
  ])('inventory, a restock with a price: $name', async ({ docs, holds }) => {
    expect(await documentsHold(inventoryProjection, collectionOf(docs), 'levels', adjusted)).toBe(holds);
  });

  it('needs every document an event writes: an order of two SKUs in the sales by SKU list', async () => {
    const completed = event(
      50,
      'OrderCompleted',
      {
        orderId: 'o1',
        total: 300,
        items: [
          { sku: 'A', quantity: 1, unitPrice: 100 },
          { sku: 'B', quantity: 1, unitPrice: 200 },
        ],
      },
      'order-o1',
    );
    const day = '2026-12-06';
    const both = [
      { _id: `${day}|A`, applied: [50] },
      { _id: `${day}|B`, applied: [50] },
    ];
    expect(await documentsHold(salesProjection, collectionOf(both), 'bySku', completed)).toBe(true);
    expect(await documentsHold(salesProjection, collectionOf(both.slice(0, 1)), 'bySku', completed)).toBe(false);
    // The other collection of the same projection is judged by its own documents.
    expect(await documentsHold(salesProjection, collectionOf(both), 'byDay', completed)).toBe(false);
    expect(await documentsHold(salesProjection, collectionOf([{ _id: day, applied: [50] }]), 'byDay', completed)).toBe(
      true,
    );
  });

  it('says no for an event the list does not show', async () => {
    const deposit = event(60, 'Deposited', { amount: 5 }, 'account-a1');
    expect(await documentsHold(salesProjection, collectionOf([{ _id: 'x', applied: [60] }]), 'byDay', deposit)).toBe(
      false,
    );
    expect(
      await documentsHold(accountsProjection, collectionOf([{ _id: 'a1', applied: [60] }]), 'accounts', deposit),
    ).toBe(true);
  });
});
