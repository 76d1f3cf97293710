import type { StoredEvent } from '../eventstore';
import type { OrderStatus } from '../workflows/types';
import { fencedUpsert, fenceFilter, type Projection } from './types';

/**
 * The orders view behind GET /orders, GET /orders/:id and GET /customers/:id/orders. The status is
 * derived from which facts have been seen (not from the last event), so it does not depend on the
 * order in which events of the order's different streams arrive.
 */
export interface OrderViewDocument {
  _id: string;
  customerId: string;
  accountId: string;
  items: Array<{ sku: string; quantity: number; unitPrice: number }>;
  total: number;
  shippingAddress: unknown;
  failureReason: string | null;
  /** Compensations left as open dead letters when the saga ended (status COMPENSATION_INCOMPLETE). */
  openCompensations?: string[];
  correlationId?: string;
  facts: Partial<Record<Fact, boolean>>;
  status: OrderStatus;
  createdAt: Date;
  updatedAt: Date;
  lastPosition: number;
}

type Fact = 'created' | 'requiresApproval' | 'approved' | 'paid' | 'reserved' | 'shipped' | 'completed' | 'compensating' | 'cancelled' | 'incomplete' | 'compensationCompleted';

const FACT_OF: Record<string, Fact | undefined> = {
  OrderApproved: 'approved',
  PaymentCompleted: 'paid',
  ItemsReserved: 'reserved',
  ShipmentScheduled: 'shipped',
  OrderCompleted: 'completed',
  OrderCompensating: 'compensating',
  OrderCancelled: 'cancelled',
  OrderCompensationCompleted: 'compensationCompleted',
};

export function statusOf(facts: OrderViewDocument['facts']): OrderStatus {
  if (facts.cancelled) return facts.incomplete && !facts.compensationCompleted ? 'COMPENSATION_INCOMPLETE' : 'CANCELLED';
  if (facts.compensating) return 'COMPENSATING';
  if (facts.completed) return 'COMPLETED';
  if (facts.shipped) return 'SHIPMENT_SCHEDULED';
  if (facts.reserved) return 'ITEMS_RESERVED';
  if (facts.paid) return 'PAYMENT_COMPLETED';
  if (facts.requiresApproval && !facts.approved) return 'AWAITING_APPROVAL';
  return 'PENDING';
}

export const ordersProjection: Projection = {
  name: 'orders',
  collections: {
    orders: [{ key: { customerId: 1, createdAt: -1, _id: -1 } }, { key: { status: 1, createdAt: -1, _id: -1 } }, { key: { createdAt: -1, _id: -1 } }],
  },
  eventTypes: ['OrderCreated', 'OrderApproved', 'ShippingAddressChanged', 'PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled', 'OrderCompleted', 'OrderCompensating', 'OrderCancelled', 'OrderCompensationCompleted'],
  // Every update here sets facts or keeps a maximum, so applying an event twice changes nothing:
  // no per-document position bookkeeping is needed (unlike the $inc projections).
  async apply(event: StoredEvent, ctx) {
    const orders = ctx.collection<OrderViewDocument>('orders');
    const data = event.data as Record<string, any>;
    const at = event.metadata.timestamp;
    const common = { $max: { updatedAt: at, lastPosition: event.position } };
    let set: Record<string, unknown> = {};
    if (event.type === 'OrderCreated') {
      set = {
        customerId: data.customerId,
        accountId: data.accountId,
        items: data.items,
        total: data.total,
        createdAt: at,
        correlationId: event.metadata.correlationId,
        'facts.created': true,
        'facts.requiresApproval': data.requiresApproval === true,
      };
      // The address may already have been changed by a later event seen first; keep the change.
      await fencedUpsert(orders, data.orderId, ctx.epoch, { $set: set, $setOnInsert: { shippingAddress: data.shippingAddress, failureReason: null }, ...common });
    } else if (event.type === 'ShippingAddressChanged') {
      await fencedUpsert(orders, data.orderId, ctx.epoch, { $set: { shippingAddress: data.address }, ...common });
    } else {
      const fact = FACT_OF[event.type]!;
      set[`facts.${fact}`] = true;
      if (event.type === 'OrderCompensating' || event.type === 'OrderCancelled') set.failureReason = data.reason ?? null;
      if (event.type === 'OrderCancelled' && Array.isArray(data.openCompensations) && data.openCompensations.length > 0) {
        set['facts.incomplete'] = true;
        set.openCompensations = data.openCompensations;
      }
      if (event.type === 'OrderCompensationCompleted') set.openCompensations = [];
      await fencedUpsert(orders, data.orderId, ctx.epoch, { $set: set, ...common });
    }
    // Status is a function of the facts: recompute it from the document as it now stands.
    const doc = await orders.findOne({ _id: data.orderId }, { projection: { facts: 1, status: 1 } });
    const status = statusOf(doc?.facts ?? {});
    if (doc && doc.status !== status) await orders.updateOne({ _id: data.orderId, ...fenceFilter(ctx.epoch) }, { $set: { status } });
  },
};
