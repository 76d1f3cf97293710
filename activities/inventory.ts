import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { deterministicEventId } from '../eventstore/metadata';
import type { OrderItemInput } from '../domain/orders';
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
  updatedAt: Date;
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
  return {
    /**
     * Adds stock and sets the price. `restockId` makes it exactly-once: the increment and a marker
     * naming the restock are one document update, conditional on the marker being absent, and the
     * event's id is derived from it, so a repeat (a retry after a timeout or a crash between the
     * two writes) changes nothing twice and completes whatever the first run left undone.
     */
    async restock(input: { sku: string; quantity: number; price: number; correlationId: string; restockId?: string }): Promise<{ level: StockLevel; position: number }> {
      const restockId = input.restockId ?? randomUUID();
      const marker = `restocks.${restockId}`;
      let doc: StockDocument | null;
      try {
        doc = await stock.findOneAndUpdate(
          { _id: input.sku, [marker]: { $exists: false } },
          { $inc: { available: input.quantity }, $set: { price: input.price, updatedAt: new Date(), [marker]: new Date() }, $setOnInsert: { reserved: 0, reservations: {}, released: {} } },
          { upsert: true, returnDocument: 'after' },
        );
      } catch (err) {
        // The marker is there: the upsert's insert hit the existing _id. Applied before.
        if ((err as { code?: number }).code !== 11000) throw err;
        doc = await stock.findOne({ _id: input.sku });
      }
      if (!doc) doc = await stock.findOne({ _id: input.sku });
      const appended = await appendSagaEvent(
        events,
        { type: 'sku', id: input.sku },
        { type: 'StockAdjusted', eventId: `restock-${restockId}`, data: { sku: input.sku, quantity: input.quantity, price: input.price } },
        input.correlationId,
      );
      return { level: toStockLevel(doc!), position: appended.lastPosition };
    },
    async get(sku: string): Promise<StockLevel | null> {
      const doc = await stock.findOne({ _id: sku });
      return doc && toStockLevel(doc);
    },
    /** Catalog prices for the given SKUs; the SKUs not in the catalog are listed in `unknown`. */
    async prices(skus: string[]): Promise<{ prices: Map<string, number>; unknown: string[] }> {
      const docs = await stock.find({ _id: { $in: [...new Set(skus)] } }, { projection: { price: 1 } }).toArray();
      const prices = new Map(docs.map((d) => [d._id, d.price]));
      return { prices, unknown: [...new Set(skus)].filter((s) => !prices.has(s)) };
    },
  };
}

export type InventoryCatalog = ReturnType<typeof createInventoryCatalog>;

/** Sums quantities per SKU and sorts by SKU, so every order touches documents in the same order. */
export function mergeItems(items: OrderItemInput[]): OrderItemInput[] {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of items) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([sku, quantity]) => ({ sku, quantity }));
}

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
      const doc = await stock.findOne({ _id: sku }, { projection: { [`reservations.${orderId}`]: 1, [`released.${orderId}`]: 1 } });
      if (!doc) return; // an unknown SKU holds nothing
      const quantity = doc.reservations?.[orderId];
      if (quantity !== undefined) {
        const given = await stock.updateOne(
          { _id: sku, [`reservations.${orderId}`]: quantity },
          { $inc: { available: quantity, reserved: -quantity }, $unset: { [`reservations.${orderId}`]: '' }, $set: { [`released.${orderId}`]: quantity, updatedAt: new Date() } },
        );
        if (given.modifiedCount === 1) return;
        continue;
      }
      if (doc.released?.[orderId] !== undefined) return; // released earlier
      // Nothing reserved yet: the marker makes any later reservation for this order refuse.
      const marked = await stock.updateOne(
        { _id: sku, [`reservations.${orderId}`]: { $exists: false }, [`released.${orderId}`]: { $exists: false } },
        { $set: { [`released.${orderId}`]: 0 } },
      );
      if (marked.modifiedCount === 1) return;
    }
    throw new Error(`could not settle the release of ${sku} for order ${orderId}: its stock document kept changing`);
  }

  return {
    /** Reserves every item or none: a partial reservation is rolled back before reporting out of stock. */
    async reserveItems({ orderId, correlationId, items }: OrderContext & { items: OrderItemInput[] }): Promise<{ items: OrderItemInput[] }> {
      const wanted = mergeItems(items);
      const reservedNow: OrderItemInput[] = [];
      for (const { sku, quantity } of wanted) {
        const result = await stock.updateOne(
          { _id: sku, available: { $gte: quantity }, [`reservations.${orderId}`]: { $exists: false }, [`released.${orderId}`]: { $exists: false } },
          { $inc: { available: -quantity, reserved: quantity }, $set: { [`reservations.${orderId}`]: quantity, updatedAt: new Date() } },
        );
        if (result.modifiedCount === 1) {
          reservedNow.push({ sku, quantity });
          continue;
        }
        const doc = await stock.findOne({ _id: sku });
        if (doc?.reservations?.[orderId] !== undefined) continue; // an earlier attempt reserved it
        await rollback(orderId, reservedNow);
        if (!doc) throw businessFailure('UnknownSku', `unknown SKU ${sku}`);
        if (doc.released?.[orderId] !== undefined) throw businessFailure('OutOfStock', `reservation for order ${orderId} was already released`);
        throw businessFailure('OutOfStock', `out of stock: ${sku} has ${doc.available} available, ${quantity} needed`, { sku, available: doc.available, needed: quantity });
      }
      await appendSagaEvent(events, { type: 'reservation', id: orderId }, { type: 'ItemsReserved', eventId: deterministicEventId('inventory', orderId, 'reserved'), data: { orderId, items: wanted } }, correlationId);
      return { items: wanted };
    },

    /**
     * Compensation: gives reserved stock back. Safe to repeat, and safe when nothing was reserved:
     * it also marks the order released on SKUs it never reached, so a late reservation attempt
     * (a timed-out attempt still running) cannot take stock for an order that was undone.
     */
    async releaseItems({ orderId, correlationId, items }: OrderContext & { items: OrderItemInput[] }): Promise<{ items: OrderItemInput[] }> {
      const skus = mergeItems(items).map((i) => i.sku);
      for (const sku of skus) await releaseSku(sku, orderId);
      const docs = await stock.find({ _id: { $in: skus }, [`released.${orderId}`]: { $gt: 0 } }).toArray();
      const released = docs.map((d) => ({ sku: d._id, quantity: d.released[orderId]! })).sort((a, b) => a.sku.localeCompare(b.sku));
      if (released.length > 0) {
        await appendSagaEvent(events, { type: 'reservation', id: orderId }, { type: 'ItemsReleased', eventId: deterministicEventId('inventory', orderId, 'released'), data: { orderId, items: released } }, correlationId);
      }
      return { items: released };
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
