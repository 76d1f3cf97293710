import { z } from 'zod';
import { asSagaEvent } from '../../domain/orders';
import type { StoredEvent } from '../../eventstore';
import { fenceFilter, guardedWrite, writeProjection, type Write } from './types';
import { readModelView } from './view';

/** A SKU's level (behind GET /inventory), the one declaration of its shape: the SKU is its `_id`. */
export const inventoryLevelDocument = z.object({
  _id: z.string(),
  available: z.number().int(),
  reserved: z.number().int(),
  /** Cents; absent until a restock sets it. */
  price: z.number().int().optional(),
  updatedAt: z.date(),
  /** The position of the adjustment whose price is kept. */
  pricePosition: z.number().int().optional(),
  /** The position of the adjustment whose price is set (pricePosition once its price is written). */
  pricedPosition: z.number().int().optional(),
  /** The positions applied to it lately (guardedWrite). */
  applied: z.array(z.number().int()),
  epoch: z.number().int().optional(),
});

export type InventoryLevelDocument = z.infer<typeof inventoryLevelDocument>;

export const inventoryLevelView = readModelView(inventoryLevelDocument, {
  id: 'sku',
  internal: ['updatedAt', 'pricePosition', 'pricedPosition', 'applied', 'epoch'],
  personal: [],
});

/** Inventory levels per SKU: available, reserved, price. Every change is an increment, so order does not matter. */
export const inventoryProjection = writeProjection({
  name: 'inventory',
  // Read as lists only; a list read of one's own write answers from the documents (documentsHold).
  checkpoint: 'lazy',
  collections: { levels: [] },
  eventTypes: ['StockAdjusted', 'ItemsReserved', 'ItemsReleased'],
  writes(event: StoredEvent, epoch): Write[] {
    const e = asSagaEvent(event);
    const at = event.metadata.timestamp;
    if (e.type === 'StockAdjusted') {
      const { data } = e;
      return [
        guardedWrite(
          'levels',
          data.sku,
          event,
          {
            $inc: { available: data.quantity, reserved: 0 },
            // The price of the latest adjustment wins, whatever order adjustments are applied in.
            $max: { updatedAt: at, pricePosition: event.position },
          },
          epoch,
        ),
        {
          collection: 'levels',
          filter: { _id: data.sku, pricePosition: event.position, ...fenceFilter(epoch) },
          update: { $set: { price: data.price, pricedPosition: event.position } },
          upsert: false,
          // In once the price of this adjustment, or of a later one, is set.
          holds: (doc) => (doc.pricedPosition ?? 0) >= event.position || (doc.pricePosition ?? 0) > event.position,
        },
      ];
    }
    if (e.type !== 'ItemsReserved' && e.type !== 'ItemsReleased') return [];
    const sign = e.type === 'ItemsReserved' ? 1 : -1;
    return e.data.items.map((item) =>
      guardedWrite(
        'levels',
        item.sku,
        event,
        { $inc: { available: -sign * item.quantity, reserved: sign * item.quantity }, $max: { updatedAt: at } },
        epoch,
      ),
    );
  },
});
