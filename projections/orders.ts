import type { StoredEvent } from '../eventstore';
import { asSagaEvent, type OrderStatus, type SagaEventType } from '../domain/orders';
import { bulkWrites, fenceFilter, runWrites, type Projection, type ProjectionContext, type Write } from './types';

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

const FACT_OF: Partial<Record<SagaEventType, Fact>> = {
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
    await runWrites(ctx, [factWrite(event, ctx.epoch)]);
    await recomputeStatus(ctx, [orderIdOf(event)]);
  },
  async applyMany(events: StoredEvent[], ctx) {
    await bulkWrites(ctx, events.map((e) => factWrite(e, ctx.epoch)));
    await recomputeStatus(ctx, [...new Set(events.map(orderIdOf))]);
  },
};

/** Every event this projection reads is about one order (the event types above). */
const orderIdOf = (event: StoredEvent) => (asSagaEvent(event).data as { orderId: string }).orderId;

/** The fact an event establishes, as one fenced upsert of the order's document. */
function factWrite(event: StoredEvent, epoch: number): Write {
  const e = asSagaEvent(event);
  const at = event.metadata.timestamp;
  const common = { $max: { updatedAt: at, lastPosition: event.position, epoch } };
  const write = (update: Record<string, unknown>): Write => ({ collection: 'orders', filter: { _id: orderIdOf(event), ...fenceFilter(epoch) }, update: { ...update, ...common }, upsert: true });
  if (e.type === 'OrderCreated') {
    const { data } = e;
    const set = {
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
    return write({ $set: set, $setOnInsert: { shippingAddress: data.shippingAddress, failureReason: null } });
  }
  if (e.type === 'ShippingAddressChanged') return write({ $set: { shippingAddress: e.data.address } });
  const set: Record<string, unknown> = { [`facts.${FACT_OF[e.type]!}`]: true };
  if (e.type === 'OrderCompensating' || e.type === 'OrderCancelled') set.failureReason = e.data.reason ?? null;
  if (e.type === 'OrderCancelled' && Array.isArray(e.data.openCompensations) && e.data.openCompensations.length > 0) {
    set['facts.incomplete'] = true;
    set.openCompensations = e.data.openCompensations;
  }
  if (e.type === 'OrderCompensationCompleted') set.openCompensations = [];
  return write({ $set: set });
}

/** Status is a function of the facts: recompute it from the documents as they now stand. */
async function recomputeStatus(ctx: ProjectionContext, orderIds: string[]): Promise<void> {
  const orders = ctx.collection<OrderViewDocument>('orders');
  const docs = await orders.find({ _id: { $in: orderIds } }, { projection: { facts: 1, status: 1 } }).toArray();
  const changes = docs.flatMap((doc) => {
    const status = statusOf(doc.facts ?? {});
    return doc.status === status ? [] : [{ updateOne: { filter: { _id: doc._id, ...fenceFilter(ctx.epoch) }, update: { $set: { status } } } }];
  });
  if (changes.length) await orders.bulkWrite(changes as never, { ordered: false });
}
