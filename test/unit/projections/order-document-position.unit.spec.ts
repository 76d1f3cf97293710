import { describe, expect, it } from 'vitest';
import { orderDocumentPosition, statusOf, type OrderViewDocument } from '../../../readside/projections/orders';

const at = new Date('2026-03-01T10:00:00.000Z');
const facts = { created: true, requiresApproval: false, paid: true, reserved: true };
const factAt = { created: 10, paid: 12, reserved: 13 };
const doc = (over: Partial<OrderViewDocument> = {}): OrderViewDocument => ({
  _id: 'o-1',
  customerId: 'sealed:customer',
  customer: 'pseudonym',
  accountId: 'acc-1',
  status: statusOf(facts, factAt),
  items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 1500 }],
  total: 1500,
  shippingAddress: { line1: 'sealed:line1', city: 'sealed:city', postalCode: 'sealed:code', country: 'US' },
  failureReason: null,
  createdAt: at,
  updatedAt: at,
  facts,
  factAt,
  lastPosition: 13,
  ...over,
});

describe('how far an order’s document vouches for the log', () => {
  it('is its last applied position when its status is the one its facts show', () => {
    expect(orderDocumentPosition(doc())).toBe(13);
  });

  it('is nothing while a batch has written a fact but not yet the status that follows from it', () => {
    // The batch's first write (ItemsReserved at 13) landed; the status goes with its last write.
    const before = statusOf({ created: true, requiresApproval: false, paid: true }, { created: 10, paid: 12 });
    expect(before).not.toBe(statusOf(facts, factAt));
    expect(orderDocumentPosition(doc({ status: before }))).toBeUndefined();
  });

  it('is nothing without a document, or for one that never recorded a position', () => {
    expect(orderDocumentPosition(null)).toBeUndefined();
    expect(
      orderDocumentPosition({ ...doc(), lastPosition: undefined } as unknown as OrderViewDocument),
    ).toBeUndefined();
  });
});
