import { LRUCache } from 'lru-cache';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import type { StoredEvent } from '../../eventstore';
import type { OrderStatus } from '../../domain/orders';
import { ORDER_VIEW_EVENT_TYPES, orderChange, statusOf, type OrderChange } from './order-facts';
import type { Fact, OrderViewDocument } from './order-view';
import { bulkWrites, eventWrites, fenceFilter, type Projection, type ProjectionContext, type Write } from './types';

export { statusOf } from './order-facts';
export type { OrderViewDocument } from './order-view';

/**
 * The orders view (its document: ./order-view.ts). The status is derived from which facts have
 * been seen and where each stands in the log (not from the last event applied), so it does not
 * depend on the order in which events of the order's different streams arrive.
 */
export const ordersProjection: Projection = {
  name: 'orders',
  collections: {
    orders: [
      { key: { customer: 1, createdAt: -1, _id: -1 } },
      { key: { status: 1, createdAt: -1, _id: -1 } },
      { key: { createdAt: -1, _id: -1 } },
    ],
  },
  eventTypes: ORDER_VIEW_EVENT_TYPES,
  checkpoint: 'lazy',
  // Every update here sets facts or keeps a maximum, so applying an event twice changes nothing:
  // no per-document position bookkeeping is needed (unlike the $inc projections).
  // One event (a batch of one, or the fallback after a failed batch) is one command; a fenced-off
  // upsert's duplicate-key error is harmless and ignored, as in every projection (eventWrites).
  apply: (event: StoredEvent, ctx) => applyOrders([event], ctx, eventWrites),
  applyMany: (events, ctx) => applyOrders(events, ctx, bulkWrites),
};

/**
 * The log position up to which an order's document shows every event of its order, or undefined
 * when it cannot say (no document, or one caught between the writes of a batch). A read that asks
 * for a position of its own order's (read-your-writes) needs no checkpoint when this reaches it.
 *
 * Why `lastPosition` is such a position: the runner (readside/engine/runner.ts) hands the log to
 * the projection in global position order and never past a position it has not handled: a hole
 * (an append that committed after a later one) is waited for until its event arrives or the hole
 * is sealed, so out-of-order commits are applied in position order all the same; an event is
 * handled only once every lower position was (applied, or parked as a dead letter behind a poison
 * event of its stream, as the checkpoint counts it too); a batch goes out as one ordered bulk
 * write, so a document holding an event's `lastPosition` holds every earlier write of the batch
 * to it. A redelivery (after a restart or a takeover) or a redrive applies positions below it
 * again or late, never above it. So once a document has applied position P (`lastPosition` ≥ P),
 * every event of its order at or below P has been handled, whatever the checkpoint says.
 *
 * Its status is the one exception: it follows from all of a batch's facts and goes with the
 * order's last write of the batch (or, for an order this process did not know, with a write after
 * the bulk write). A document whose status is not yet the one its facts show is between those
 * writes: it vouches for nothing, and its reader waits (a few ms) as it would for the checkpoint.
 */
export function orderDocumentPosition(doc: OrderViewDocument | null): number | undefined {
  if (!doc || typeof doc.lastPosition !== 'number') return undefined;
  return doc.status === statusOf(doc.facts ?? {}, doc.factAt ?? {}) ? doc.lastPosition : undefined;
}

/**
 * What this process knows each order's facts and status to be, per projection instance. Only the
 * lease holder writes an instance's documents (a paused former holder's writes are fenced off), so
 * once an order was read or written here, memory is as good as the document: the status is then
 * written in the same bulk write as the facts, instead of a read and a second write afterwards.
 * Entries change only after a write succeeded; a failed write forgets the orders it touched.
 *
 * An order not in memory is taken to be new, as nearly every order is when the view first meets
 * it (its OrderCreated): its first upsert sets the status of the batch's facts only if it creates
 * the document. When it found one instead (after a restart, a redrive, a takeover), the document
 * is read back with this batch's facts in it and its status set from all of them: a read and a
 * write more for those, none for a new order.
 */
type Known = Pick<OrderViewDocument, 'facts' | 'factAt'> & { status: OrderStatus | undefined };
const known = new WeakMap<ProjectionContext, LRUCache<string, Known>>();
const KNOWN_ORDERS = 20_000;

async function applyOrders(events: StoredEvent[], ctx: ProjectionContext, write: typeof bulkWrites): Promise<void> {
  const changes = events.flatMap((event) => {
    const change = orderChange(event);
    return change ? [{ event, change }] : [];
  });
  if (changes.length === 0) return;
  const orders = ctx.collection<OrderViewDocument>('orders');
  let memory = known.get(ctx);
  if (!memory) known.set(ctx, (memory = new LRUCache<string, Known>({ max: KNOWN_ORDERS })));
  const ids = [...new Set(changes.map(({ change }) => change.orderId))];
  /** Each order not in memory, with the upsert that creates its document if it is new. */
  const unknown = new Map<string, Write | undefined>(ids.filter((id) => !memory.has(id)).map((id) => [id, undefined]));
  const next = new Map(
    ids.map((id) => {
      const k = memory.get(id) ?? { facts: {}, factAt: {}, status: undefined };
      return [id, { ...k, facts: { ...k.facts }, factAt: { ...k.factAt } }];
    }),
  );
  const lastWrite = new Map<string, Write>();
  const writes = changes.flatMap(({ event, change }) => {
    const order = next.get(change.orderId)!;
    Object.assign(order.facts, change.facts);
    for (const name of factNames(change)) order.factAt[name] = Math.max(order.factAt[name] ?? 0, event.position);
    const w = changeWrite(change, event, ctx.epoch);
    lastWrite.set(change.orderId, w);
    if (unknown.has(change.orderId) && !unknown.get(change.orderId)) unknown.set(change.orderId, w);
    return [...latestWrites(change, event, ctx.epoch), w];
  });
  for (const [id, order] of next) {
    const status = statusOf(order.facts, order.factAt);
    if (status === order.status) continue;
    order.status = status;
    // A new order's status goes with the upsert that creates its document (the batch's facts are
    // all it has); a known one's is set by its last fact write of the batch, which holds every
    // fact the status follows from: one update per event, not a second one for the status.
    const creating = unknown.get(id);
    if (creating) {
      creating.update = { ...creating.update, $setOnInsert: { ...(creating.update.$setOnInsert as object), status } };
    } else {
      const last = lastWrite.get(id)!;
      last.update = { ...last.update, $set: { ...(last.update.$set as object), status } };
    }
  }
  try {
    const created = await write(ctx, writes);
    const found = [...unknown].filter(([, w]) => !created.has(w!)).map(([id]) => id);
    if (found.length) await setStatusFromDocuments(orders, found, next, ctx.epoch);
  } catch (err) {
    for (const id of ids) memory.delete(id);
    throw err;
  }
  for (const [id, order] of next) memory.set(id, order);
}

/**
 * The orders not in memory whose documents existed: read back (with the batch's facts in them),
 * `next` takes what they hold, and their status is set where it does not follow their facts.
 */
async function setStatusFromDocuments(
  orders: Collection<OrderViewDocument>,
  ids: string[],
  next: Map<string, Known>,
  epoch: number,
): Promise<void> {
  const docs = await orders.find({ _id: { $in: ids } }, { projection: { facts: 1, factAt: 1, status: 1 } }).toArray();
  // Not to be remembered unless read.
  for (const id of ids) next.delete(id);
  const stale: AnyBulkWriteOperation<OrderViewDocument>[] = [];
  for (const doc of docs) {
    const status = statusOf(doc.facts ?? {}, doc.factAt ?? {});
    next.set(doc._id, { facts: { ...doc.facts }, factAt: { ...doc.factAt }, status });
    if (status !== doc.status)
      stale.push({ updateOne: { filter: { _id: doc._id, ...fenceFilter(epoch) }, update: { $set: { status } } } });
  }
  if (stale.length) await orders.bulkWrite(stale, { ordered: false });
}

/**
 * The change, as one fenced upsert of the order's document. A document it creates takes the
 * change's latest-wins fields as they are; on one that exists, latestWrites set them.
 */
function changeWrite(change: OrderChange, event: StoredEvent, epoch: number): Write {
  const $set: Record<string, unknown> = { ...change.set };
  for (const [name, value] of Object.entries(change.facts)) $set[`facts.${name}`] = value;
  const $setOnInsert: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(change.latest ?? {})) {
    $setOnInsert[field] = value;
    $setOnInsert[`setAt.${field}`] = event.position;
  }
  const $max: Record<string, unknown> = { updatedAt: event.metadata.timestamp, lastPosition: event.position, epoch };
  for (const name of factNames(change)) $max[`factAt.${name}`] = event.position;
  return {
    collection: 'orders',
    filter: { _id: change.orderId, ...fenceFilter(epoch) },
    update: {
      $set,
      ...(Object.keys($setOnInsert).length > 0 && { $setOnInsert }),
      $max,
    },
    upsert: true,
  };
}

/** The facts a change establishes (a fact set to false, such as no approval needed, has no place in the log's order). */
const factNames = (change: OrderChange): Fact[] =>
  (Object.entries(change.facts) as [Fact, boolean | undefined][]).filter(([, v]) => v === true).map(([name]) => name);

/**
 * The change's latest-wins fields on an existing document, one conditional update each, run before
 * the change's upsert: a field takes the event's value only if no event later in the log set it
 * (its `setAt` is lower), or if nothing set it yet. So the view is the same whatever order an
 * order's events are applied in (a redriven dead letter, a stream parked behind another), and a
 * repeat changes nothing. A document written before `setAt` was kept holds its fields as the
 * events came in the log's order: an event past its `lastPosition` still sets them, a repeat of an
 * earlier one does not.
 */
function latestWrites(change: OrderChange, event: StoredEvent, epoch: number): Write[] {
  return Object.entries(change.latest ?? {}).map(([field, value]) => ({
    collection: 'orders',
    filter: {
      _id: change.orderId,
      $and: [
        fenceFilter(epoch),
        {
          $or: [
            { [`setAt.${field}`]: { $lt: event.position } },
            { [`setAt.${field}`]: { $exists: false }, [field]: { $exists: false } },
            { [`setAt.${field}`]: { $exists: false }, lastPosition: { $lt: event.position } },
          ],
        },
      ],
    },
    update: { $set: { [field]: value, [`setAt.${field}`]: event.position } },
    upsert: false,
  }));
}
