import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { WrongExpectedVersionError } from '../eventstore';
import { deterministicEventId } from '../eventstore/metadata';
import type { AppendResult } from '../eventstore/types';
import type { OrderItemInput } from '../domain/orders';
import {
  InventoryDomainError,
  mergeItems,
  refusedReservation,
  release,
  releasedItems,
  type SkuForOrder,
} from '../domain/inventory';
import { appendSagaEvent, businessFailure, type EventLog, type OrderContext, type ServiceDeps } from './support';

/**
 * Stock per SKU: one document holds available and reserved counts, the catalog price, and which
 * orders hold a reservation. Keeping an order's reservation inside the SKU document makes
 * "reserve if available and not yet reserved for this order" one atomic update — no transactions.
 */
export interface StockDocument {
  _id: string; // sku
  available: number;
  reserved: number;
  price: number;
  /** orderId -> quantity reserved for it. */
  reservations: Record<string, number>;
  /** orderId -> quantity released for it (0 when nothing was reserved): a released order never reserves again. */
  released: Record<string, number>;
  /** restockId -> when it was applied: a restock is applied once, however often it is sent. */
  restocks?: Record<string, Date>;
  /**
   * restockId -> the StockAdjusted event of a restock applied here and not yet known to be in the
   * log: written in the same update as the stock it adds, cleared once appended.
   */
  outbox?: Record<string, PendingStockEvent>;
  updatedAt: Date;
}

/** A restock's event, as it will be appended (its id follows from the restock, so appending it twice writes it once). */
export interface PendingStockEvent {
  eventId: string;
  data: { sku: string; quantity: number; price: number };
  correlationId: string;
}

export interface StockLevel {
  sku: string;
  available: number;
  reserved: number;
  price: number;
}

export const stockCollection = (db: Db) => db.collection<StockDocument>('inventory');

export function toStockLevel(doc: StockDocument): StockLevel {
  return { sku: doc._id, available: doc.available, reserved: doc.reserved, price: doc.price };
}

/** The catalog side, used by the API: restock and price SKUs, read stock levels. */
export function createInventoryCatalog({ db, events }: { db: Db; events: EventLog }) {
  const stock = stockCollection(db);

  const appendStockAdjusted = (pending: PendingStockEvent): Promise<AppendResult> =>
    appendSagaEvent(
      events,
      { type: 'sku', id: pending.data.sku },
      { type: 'StockAdjusted', eventId: pending.eventId, data: pending.data },
      pending.correlationId,
    );

  /**
   * Appends the SKU's pending events and clears each once it is in the log. The append is
   * idempotent (each event's id follows from its restock), so a flush that dies between the two,
   * or two flushes at once, leave exactly one event per restock. Returns the results by restockId.
   */
  async function flush(doc: Pick<StockDocument, '_id' | 'outbox'>): Promise<Map<string, AppendResult>> {
    const appended = new Map<string, AppendResult>();
    for (const [restockId, pending] of Object.entries(doc.outbox ?? {})) {
      appended.set(restockId, await appendStockAdjusted(pending));
      await stock.updateOne({ _id: doc._id }, { $unset: { [`outbox.${restockId}`]: '' } });
    }
    return appended;
  }

  /** Appends every SKU's pending events (those a process died before appending). */
  async function recoverPendingRestocks(): Promise<number> {
    let recovered = 0;
    const failures: unknown[] = [];
    for await (const doc of stock.find({ outbox: { $exists: true } }, { projection: { outbox: 1 } })) {
      // One SKU whose event cannot be appended does not hold back the others.
      try {
        recovered += (await flush(doc)).size;
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length) throw new AggregateError(failures, `${failures.length} SKUs kept pending restock events`);
    return recovered;
  }

  // Once per process, in the background from the catalog's first use: what a process that died
  // left pending is appended even for a SKU nobody restocks or reads again. A failed sweep runs
  // again on the next use; the SKU a request touches is flushed by that request either way.
  let swept: Promise<unknown> | undefined;
  const sweepOnce = () => {
    swept ??= recoverPendingRestocks().catch(() => (swept = undefined));
  };

  return {
    /**
     * Adds stock and sets the price: both or neither with its StockAdjusted event. The increment,
     * a marker naming the restock, and the event itself (in `outbox`) are one atomic document
     * update, conditional on the marker being absent; the event is then appended with an id
     * derived from the restock and cleared from the outbox. A process that dies in between leaves
     * the event pending in the document, appended by the next restock or read of the SKU, or by the
     * next process's sweep. A repeat with the same `restockId` (the Idempotency-Key's seed)
     * changes nothing twice and answers with the original event's position.
     */
    async restock(input: {
      sku: string;
      quantity: number;
      price: number;
      correlationId: string;
      restockId?: string;
    }): Promise<{ level: StockLevel; position: number }> {
      sweepOnce();
      const restockId = input.restockId ?? randomUUID();
      const marker = `restocks.${restockId}`;
      const pending: PendingStockEvent = {
        eventId: `restock-${restockId}`,
        data: { sku: input.sku, quantity: input.quantity, price: input.price },
        correlationId: input.correlationId,
      };
      let doc: StockDocument | null;
      try {
        doc = await stock.findOneAndUpdate(
          { _id: input.sku, [marker]: { $exists: false } },
          {
            $inc: { available: input.quantity },
            $set: { price: input.price, updatedAt: new Date(), [marker]: new Date(), [`outbox.${restockId}`]: pending },
            $setOnInsert: { reserved: 0, reservations: {}, released: {} },
          },
          { upsert: true, returnDocument: 'after' },
        );
      } catch (err) {
        // The marker is there: the upsert's insert hit the existing _id. Applied before.
        if ((err as { code?: number }).code !== 11000) throw err;
        doc = await stock.findOne({ _id: input.sku });
      }
      if (!doc) doc = await stock.findOne({ _id: input.sku });
      // Everything pending for the SKU goes: this restock's event, and any a dead process left.
      const appended = await flush(doc!);
      // A repeat whose event went in earlier: appending it again is answered with the original.
      const own = appended.get(restockId) ?? (await appendStockAdjusted(pending));
      return { level: toStockLevel(doc!), position: own.lastPosition };
    },
    /** The SKU's stock level; an event a dead restock left pending is appended first, so the log agrees with what is read. */
    async get(sku: string): Promise<StockLevel | null> {
      sweepOnce();
      const doc = await stock.findOne({ _id: sku });
      if (doc?.outbox && Object.keys(doc.outbox).length > 0) await flush(doc);
      return doc && toStockLevel(doc);
    },
    recoverPendingRestocks,
    /** Catalog prices for the given SKUs; the SKUs not in the catalog are listed in `unknown`. */
    async prices(skus: string[]): Promise<{ prices: Map<string, number>; unknown: string[] }> {
      const docs = await stock.find({ _id: { $in: [...new Set(skus)] } }, { projection: { price: 1 } }).toArray();
      const prices = new Map(docs.map((d) => [d._id, d.price]));
      return { prices, unknown: [...new Set(skus)].filter((s) => !prices.has(s)) };
    },
  };
}

export type InventoryCatalog = ReturnType<typeof createInventoryCatalog>;

export { mergeItems } from '../domain/inventory';

/** What the SKU's document says about the order, as inventory's rules read it. */
const forOrder = <D extends Partial<Pick<StockDocument, 'reservations' | 'released'>>>(
  doc: D,
  orderId: string,
): NonNullable<SkuForOrder> => ({
  ...(doc.reservations?.[orderId] !== undefined && { reserved: doc.reservations[orderId] }),
  ...(doc.released?.[orderId] !== undefined && { released: doc.released[orderId] }),
});

/** An order's reservation as the log tells it; its id follows from the order, so it is written once whoever tells it. */
const reservedEvent = (orderId: string, items: OrderItemInput[]) => ({
  type: 'ItemsReserved' as const,
  eventId: deterministicEventId('inventory', orderId, 'reserved'),
  data: { orderId, items },
});

/** The one place a broken inventory rule becomes a business failure, never retried. */
const failureOf = (err: InventoryDomainError) => businessFailure(err.code, err.message, err.details);

export function createInventoryActivities({ db, events }: ServiceDeps) {
  const stock = stockCollection(db);

  async function rollback(orderId: string, items: OrderItemInput[]) {
    for (const { sku, quantity } of items) {
      await stock.updateOne(
        { _id: sku, [`reservations.${orderId}`]: quantity },
        { $inc: { available: quantity, reserved: -quantity }, $unset: { [`reservations.${orderId}`]: '' } },
      );
    }
  }

  /**
   * Leaves the SKU released for the order, whatever a concurrent reservation attempt does. Every
   * write is conditional on what was just read (give back exactly this reservation, or mark the
   * order released where it holds none), and a write that finds the document changed reads again:
   * a late reserveItems that lands between the read and the write cannot leak stock.
   */
  async function releaseSku(sku: string, orderId: string): Promise<void> {
    // Each lost race means a concurrent writer made progress; a handful of rounds is plenty, and a
    // bound turns an unexpected document shape into a retried failure rather than a spin.
    for (let round = 0; round < 20; round++) {
      const doc = await stock.findOne(
        { _id: sku },
        { projection: { [`reservations.${orderId}`]: 1, [`released.${orderId}`]: 1 } },
      );
      const step = release(doc && forOrder(doc, orderId));
      if (step.type === 'Nothing') return;
      if (step.type === 'GiveBack') {
        const quantity = step.quantity;
        const given = await stock.updateOne(
          { _id: sku, [`reservations.${orderId}`]: quantity },
          {
            $inc: { available: quantity, reserved: -quantity },
            $unset: { [`reservations.${orderId}`]: '' },
            $set: { [`released.${orderId}`]: quantity, updatedAt: new Date() },
          },
        );
        if (given.modifiedCount === 1) return;
        continue;
      }
      // Nothing reserved yet: the marker makes any later reservation for this order refuse.
      const marked = await stock.updateOne(
        { _id: sku, [`reservations.${orderId}`]: { $exists: false }, [`released.${orderId}`]: { $exists: false } },
        { $set: { [`released.${orderId}`]: 0 } },
      );
      if (marked.modifiedCount === 1) return;
    }
    throw new Error(`could not settle the release of ${sku} for order ${orderId}: its stock document kept changing`);
  }

  /**
   * Appends the order's ItemsReserved. Its stream is new on the usual path, so it is appended
   * expecting an empty stream: the store writes it at version 1 with no look at the stream's head,
   * and the version guards it. A repeat (a retry whose append landed) is answered by the store as
   * the first was written; a stream that holds other events (a release told before the rule that
   * tells the reservation first) takes it after them, as any append would.
   */
  async function tellReserved(orderId: string, items: OrderItemInput[], correlationId: string): Promise<void> {
    const told = reservedEvent(orderId, items);
    try {
      await events.append(`reservation-${orderId}`, [told], {
        streamType: 'reservation',
        expectedVersion: 'no_stream',
        metadata: { correlationId },
      });
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError)) throw err;
      await appendSagaEvent(events, { type: 'reservation', id: orderId }, told, correlationId);
    }
  }

  return {
    /** Reserves every item or none: a partial reservation is rolled back before reporting out of stock. */
    async reserveItems({
      orderId,
      correlationId,
      items,
    }: OrderContext & { items: OrderItemInput[] }): Promise<{ items: OrderItemInput[] }> {
      const wanted = mergeItems(items);
      const reservedNow: OrderItemInput[] = [];
      for (const { sku, quantity } of wanted) {
        // The atomic step: availability and the order's claim are checked and changed in one
        // conditional update of the SKU's document, so two orders never take the same unit and no
        // transaction is needed. It stays a document update, unlike payments and shipments whose
        // streams are their state, because the stock is shared: the rule reads what every order
        // took of the SKU, which no order's stream holds, and a stream per SKU would make all of
        // its orders race for one version. The order's ItemsReserved follows it under an id fixed
        // per order (a retry tells it once), and a release tells it first where it never was. The
        // rules (domain/inventory) judge what the update left when it did not apply.
        const result = await stock.updateOne(
          {
            _id: sku,
            available: { $gte: quantity },
            [`reservations.${orderId}`]: { $exists: false },
            [`released.${orderId}`]: { $exists: false },
          },
          {
            $inc: { available: -quantity, reserved: quantity },
            $set: { [`reservations.${orderId}`]: quantity, updatedAt: new Date() },
          },
        );
        if (result.modifiedCount === 1) {
          reservedNow.push({ sku, quantity });
          continue;
        }
        const doc = await stock.findOne({ _id: sku });
        const refused = refusedReservation(
          orderId,
          { sku, quantity },
          doc && { available: doc.available, ...forOrder(doc, orderId) },
        );
        if (refused === 'held') continue; // an earlier attempt reserved it
        await rollback(orderId, reservedNow);
        throw failureOf(refused);
      }
      await tellReserved(orderId, wanted, correlationId);
      return { items: wanted };
    },

    /**
     * Compensation: gives reserved stock back. Safe to repeat, and safe when nothing was reserved:
     * it also marks the order released on SKUs it never reached, so a late reservation attempt
     * (a timed-out attempt still running) cannot take stock for an order that was undone.
     */
    async releaseItems({
      orderId,
      correlationId,
      items,
    }: OrderContext & { items: OrderItemInput[] }): Promise<{ items: OrderItemInput[] }> {
      const skus = mergeItems(items).map((i) => i.sku);
      for (const sku of skus) await releaseSku(sku, orderId);
      const docs = await stock.find({ _id: { $in: skus }, [`released.${orderId}`]: { $gt: 0 } }).toArray();
      const released = releasedItems(docs.map((d) => ({ sku: d._id, released: d.released[orderId]! })));
      if (released.length > 0) {
        // A reserveItems whose retries ran out between its stock update and its event left a
        // reservation the log never told: tell it first, so the read side never sees a release
        // without its reservation. Its id is the reservation's own, so where reserveItems did
        // append it, the store answers with that one and nothing is written.
        const told = reservedEvent(orderId, released);
        await events
          .append(`reservation-${orderId}`, [told], {
            streamType: 'reservation',
            expectedVersion: 'no_stream',
            metadata: { correlationId },
          })
          .catch((err: unknown) => {
            // The stream holds other events (a release told before this rule existed): leave it as it is.
            if (!(err instanceof WrongExpectedVersionError)) throw err;
          });
        await appendSagaEvent(
          events,
          { type: 'reservation', id: orderId },
          {
            type: 'ItemsReleased',
            eventId: deterministicEventId('inventory', orderId, 'released'),
            data: { orderId, items: released },
          },
          correlationId,
        );
      }
      return { items: released };
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
