import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import { ORDER_VIEW_EVENT_TYPES, orderChange } from '../../../readside/projections/order-facts';
import { LATEST_FIELDS, orderViewDocument } from '../../../readside/projections/order-view';
import { ordersProjection } from '../../../readside/projections/orders';
import type { ProjectionContext } from '../../../readside/projections/types';

const at = new Date('2026-03-01T10:00:00.000Z');
const address = { line1: 'sealed:line1', city: 'sealed:city', postalCode: 'sealed:code', country: 'US' };
let position = 0;
const event = (type: string, data: Record<string, unknown>): StoredEvent => ({
  streamId: `order-o-1`,
  streamType: 'order',
  version: 1,
  position: ++position,
  type,
  data: { orderId: 'o-1', ...data },
  metadata: { eventId: `e-${position}`, timestamp: at, correlationId: 'corr-1', causationId: null },
});

/** One event of every type the view maps, with the data the services write. */
const EVERY_MAPPED_EVENT = [
  event('OrderCreated', {
    customerId: 'sealed:c',
    customer: 'p',
    accountId: 'acc-1',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1500 }],
    total: 3000,
    shippingAddress: address,
    requiresApproval: true,
  }),
  event('OrderApproved', {}),
  event('ShippingAddressChanged', { address }),
  event('PaymentCompleted', { accountId: 'acc-1', amount: 3000 }),
  event('ItemsReserved', { items: [{ sku: 'BOOK-1', quantity: 2 }] }),
  event('ShipmentScheduled', { trackingId: 't-1', address }),
  event('OrderCompleted', {}),
  event('OrderCompensating', { reason: 'out of stock' }),
  event('OrderCancelled', {
    customerId: null,
    total: null,
    reason: 'out of stock',
    openCompensations: ['cancelShipment'],
  }),
  event('OrderCompensationCompleted', {}),
  event('OrderNeedsAttention', { step: 'scheduleShipment', reason: 'the carrier does not serve it' }),
];

describe("the orders view's fact map", () => {
  it('reads the event types it maps, and those only', () => {
    expect([...ORDER_VIEW_EVENT_TYPES].sort()).toEqual(EVERY_MAPPED_EVENT.map((e) => e.type).sort());
    expect(ordersProjection.eventTypes).toBe(ORDER_VIEW_EVENT_TYPES);
  });

  it('writes only fields the stored document declares, with values of their declared type', () => {
    for (const e of EVERY_MAPPED_EVENT) {
      const change = orderChange(e)!;
      expect(change, e.type).not.toBeNull();
      expect(change.orderId).toBe('o-1');
      expect(() => orderViewDocument.shape.facts.parse(change.facts), e.type).not.toThrow();
      for (const [field, value] of Object.entries({ ...change.set, ...change.latest })) {
        const schema = orderViewDocument.shape[field as keyof typeof orderViewDocument.shape];
        expect(schema, `${e.type} sets ${field}`).toBeDefined();
        expect(schema.safeParse(value).success, `${e.type} sets ${field} to ${JSON.stringify(value)}`).toBe(true);
      }
    }
  });

  it.each([
    ['OrderCreated', 0, { created: true, requiresApproval: true }],
    ['ShippingAddressChanged', 2, {}],
    ['PaymentCompleted', 3, { paid: true }],
    ['OrderCancelled', 8, { cancelled: true, incomplete: true }],
    ['OrderNeedsAttention', 10, { needsAttention: true }],
  ])('%s establishes its facts', (_type, index, facts) => {
    expect(orderChange(EVERY_MAPPED_EVENT[index]!)!.facts).toEqual(facts);
  });

  it('sets the fields several events set only as the latest in the log: the address, the failure, the open compensations', () => {
    const latest = EVERY_MAPPED_EVENT.flatMap((e) => {
      const change = orderChange(e)!;
      return change.latest ? [[e.type, change.latest] as const] : [];
    });
    expect(Object.fromEntries(latest)).toEqual({
      OrderCreated: { shippingAddress: address, failureReason: null },
      ShippingAddressChanged: { shippingAddress: address },
      OrderCompensating: { failureReason: 'out of stock' },
      OrderCancelled: { failureReason: 'out of stock', openCompensations: ['cancelShipment'] },
      OrderCompensationCompleted: { openCompensations: [] },
    });
    for (const e of EVERY_MAPPED_EVENT)
      for (const field of LATEST_FIELDS)
        expect(orderChange(e)!.set ?? {}, `${e.type} sets ${field}`).not.toHaveProperty(field);
  });

  it.each([
    'PaymentRefunded',
    'ItemsReleased',
    'ShipmentCancelled',
    'OrderRejected',
    'StockAdjusted',
    'PaymentCharging',
    'SomethingNewer',
  ])('ignores %s: no change, and applying it touches no collection', async (type) => {
    const unknown = event(type, { accountId: 'acc-1', amount: 1 });
    expect(orderChange(unknown)).toBeNull();
    const untouchable: ProjectionContext = {
      epoch: 1,
      collection: () => {
        throw new Error(`the orders view wrote for ${type}`);
      },
    };
    await expect(ordersProjection.apply(unknown, untouchable)).resolves.toBeUndefined();
    await expect(ordersProjection.applyMany!([unknown, unknown], untouchable)).resolves.toBeUndefined();
  });
});
