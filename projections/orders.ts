import type { StoredEvent } from '../eventstore';
import { asSagaEvent, statusFromSeen, type OrderStatus, type SagaEventType, type StatusEvent } from '../domain/orders';
import { bulkWrites, fenceFilter, runWrites, type Projection, type ProjectionContext, type Write } from './types';

/**
 * The orders view behind GET /orders, GET /orders/:id and GET /customers/:id/orders. The status is
 * derived from which facts have been seen (not from the last event), so it does not depend on the
 * order in which events of the order's different streams arrive.
 */
export interface OrderViewDocument {
  _id: string;
  /** Sealed with the customer's key, as in the events: opened for the API's answer only. */
  customerId: string;
  /** The customer's pseudonym, which filters and ownership checks match on; null for orders recorded before pseudonyms. */
  customer: string | null;
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

const FACT_OF: Partial<Record<SagaEventType, Fact>> & Record<Exclude<StatusEvent, 'OrderCreated'>, Fact> = {
  OrderApproved: 'approved',
  PaymentCompleted: 'paid',
  ItemsReserved: 'reserved',
  ShipmentScheduled: 'shipped',
  OrderCompleted: 'completed',
  OrderCompensating: 'compensating',
  OrderCancelled: 'cancelled',
  OrderCompensationCompleted: 'compensationCompleted',
};

/**
 * The status the facts show, by the status table (domain/orders/status.ts): facts of several
 * streams may arrive in any order. Both `created` and `requiresApproval` come from OrderCreated.
 */
export function statusOf(facts: OrderViewDocument['facts']): OrderStatus {
  const seen = (event: StatusEvent) => (event === 'OrderCreated' ? facts.created === true || facts.requiresApproval === true : facts[FACT_OF[event]] === true);
  return statusFromSeen(seen, { requiresApproval: facts.requiresApproval, openCompensations: facts.incomplete });
}

export const ordersProjection: Projection = {
  name: 'orders',
  collections: {
    orders: [{ key: { customer: 1, createdAt: -1, _id: -1 } }, { key: { status: 1, createdAt: -1, _id: -1 } }, { key: { createdAt: -1, _id: -1 } }],
  },
  eventTypes: ['OrderCreated', 'OrderApproved', 'ShippingAddressChanged', 'PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled', 'OrderCompleted', 'OrderCompensating', 'OrderCancelled', 'OrderCompensationCompleted'],
  // Every update here sets facts or keeps a maximum, so applying an event twice changes nothing:
  // no per-document position bookkeeping is needed (unlike the $inc projections).
  // One by one (the fallback after a failed batch), a fenced-off upsert's duplicate-key error is
  // harmless and ignored, as in every projection.
  apply: (event: StoredEvent, ctx) => applyOrders([event], ctx, runWrites),
  applyMany: (events, ctx) => applyOrders(events, ctx, bulkWrites),
};

/**
 * What this process knows each order's facts and status to be, per projection instance. Only the
 * lease holder writes an instance's documents (a paused former holder's writes are fenced off), so
 * once an order was read or written here, memory is as good as the document: the status is then
 * written in the same bulk write as the facts, instead of a read and a second write afterwards.
 * Entries change only after a write succeeded; a failed write forgets the orders it touched.
 */
const known = new WeakMap<ProjectionContext, Map<string, { facts: OrderViewDocument['facts']; status: OrderStatus | undefined }>>();
const KNOWN_ORDERS = 20_000;

async function applyOrders(events: StoredEvent[], ctx: ProjectionContext, write: typeof bulkWrites): Promise<void> {
  const orders = ctx.collection<OrderViewDocument>('orders');
  let memory = known.get(ctx);
  if (!memory) known.set(ctx, (memory = new Map()));
  const ids = [...new Set(events.map(orderIdOf))];
  const missing = ids.filter((id) => !memory.has(id));
  if (missing.length) {
    const docs = await orders.find({ _id: { $in: missing } }, { projection: { facts: 1, status: 1 } }).toArray();
    const found = new Map(docs.map((d) => [d._id, d]));
    for (const id of missing) memory.set(id, { facts: { ...(found.get(id)?.facts ?? {}) }, status: found.get(id)?.status });
  }
  const next = new Map(ids.map((id) => [id, { ...memory.get(id)!, facts: { ...memory.get(id)!.facts } }]));
  const lastWrite = new Map<string, Write>();
  const writes = events.map((e) => {
    Object.assign(next.get(orderIdOf(e))!.facts, factsOf(e));
    const w = factWrite(e, ctx.epoch);
    lastWrite.set(orderIdOf(e), w);
    return w;
  });
  for (const [id, order] of next) {
    const status = statusOf(order.facts);
    if (status === order.status) continue;
    order.status = status;
    // Set by the order's last fact write of the batch, which holds every fact the status follows
    // from: one update per event, not a second one for the status.
    const last = lastWrite.get(id)!;
    last.update = { ...last.update, $set: { ...(last.update.$set as object), status } };
  }
  try {
    await write(ctx, writes);
  } catch (err) {
    for (const id of ids) memory.delete(id);
    throw err;
  }
  for (const [id, order] of next) {
    memory.delete(id); // re-inserted last: the oldest entries are the first to go
    memory.set(id, order);
  }
  for (const id of memory.keys()) {
    if (memory.size <= KNOWN_ORDERS) break;
    memory.delete(id);
  }
}

/** The facts an event establishes (the same ones `factWrite` sets on the document). */
function factsOf(event: StoredEvent): OrderViewDocument['facts'] {
  const e = asSagaEvent(event);
  if (e.type === 'OrderCreated') return { created: true, requiresApproval: e.data.requiresApproval === true };
  if (e.type === 'ShippingAddressChanged') return {};
  const facts: OrderViewDocument['facts'] = { [FACT_OF[e.type]!]: true };
  if (e.type === 'OrderCancelled' && Array.isArray(e.data.openCompensations) && e.data.openCompensations.length > 0) facts.incomplete = true;
  return facts;
}

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
      customer: data.customer ?? null,
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
