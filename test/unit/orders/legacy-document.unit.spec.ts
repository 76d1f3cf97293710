import { describe, expect, it } from 'vitest';
import {
  catchUpWithDocument,
  evolve,
  initialState,
  type LegacyOrderDocument,
  type OrderEvent,
  type OrderStatus,
} from '../../../domain/orders';

const orderId = 'o-1';
const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const doc = (status: OrderStatus, more: Partial<LegacyOrderDocument> = {}): LegacyOrderDocument => ({
  _id: orderId,
  customerId: 'sealed',
  customer: 'pseudonym',
  accountId: 'acc',
  items: [{ sku: 'A', quantity: 1, unitPrice: 500 }],
  total: 500,
  shippingAddress: address,
  requiresApproval: false,
  status,
  failureReason: null,
  ...more,
});
const created = (requiresApproval = false): OrderEvent => ({
  type: 'OrderCreated',
  data: {
    orderId,
    customerId: 'sealed',
    customer: 'pseudonym',
    accountId: 'acc',
    items: [{ sku: 'A', quantity: 1, unitPrice: 500 }],
    total: 500,
    shippingAddress: address,
    requiresApproval,
  },
});
const fold = (events: OrderEvent[]) => events.reduce(evolve, initialState());

describe('an order document of the previous version, caught up by its stream', () => {
  it.each<[string, OrderEvent[], LegacyOrderDocument, string[], OrderStatus]>([
    ['a document with no events gets its OrderCreated', [], doc('PENDING'), ['OrderCreated'], 'PENDING'],
    [
      'one approved before its event got its approval',
      [created(true)],
      doc('PENDING', { requiresApproval: true }),
      ['OrderApproved'],
      'PENDING',
    ],
    ['one completed without its event', [created()], doc('COMPLETED'), ['OrderCompleted'], 'COMPLETED'],
    [
      'one marked compensating without its event',
      [created()],
      doc('COMPENSATING', { failureReason: 'declined' }),
      ['OrderCompensating'],
      'COMPENSATING',
    ],
    [
      'one with parked compensations and no events',
      [],
      doc('COMPENSATION_INCOMPLETE', { openCompensations: ['refundPayment'] }),
      ['OrderCreated', 'OrderCancelled'],
      'COMPENSATION_INCOMPLETE',
    ],
    [
      'one whose stream says as much needs nothing',
      [created(), { type: 'OrderCompleted', data: { orderId } }],
      doc('COMPLETED'),
      [],
      'COMPLETED',
    ],
  ])('%s', (_name, stream, document, missing, status) => {
    const state = fold(stream);
    const events = catchUpWithDocument(state, document);
    expect(events.map((e) => e.type)).toEqual(missing);
    expect(events.reduce(evolve, state).status).toBe(status);
  });

  it("records the document's facts and reason", () => {
    const [first, cancelled] = catchUpWithDocument(initialState(), doc('CANCELLED', { failureReason: 'out of stock' }));
    expect(first).toEqual(created());
    expect(cancelled).toEqual({
      type: 'OrderCancelled',
      data: { orderId, customerId: 'sealed', total: 500, reason: 'out of stock' },
    });
  });
});
