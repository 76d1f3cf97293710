import type { StoredEvent } from '../eventstore';
import { fenceFilter, guardedWrite, writeProjection, type Write } from './types';

/** Inventory levels per SKU: available, reserved, price. Every change is an increment, so order does not matter. */
export const inventoryProjection = writeProjection({
  name: 'inventory',
  collections: { levels: [] },
  eventTypes: ['StockAdjusted', 'ItemsReserved', 'ItemsReleased'],
  writes(event: StoredEvent, epoch): Write[] {
    const data = event.data as Record<string, any>;
    const at = event.metadata.timestamp;
    if (event.type === 'StockAdjusted') {
      return [
        guardedWrite('levels', data.sku, event, {
          $inc: { available: data.quantity, reserved: 0 },
          // The price of the latest adjustment wins, whatever order adjustments are applied in.
          $max: { updatedAt: at, pricePosition: event.position },
        }, epoch),
        { collection: 'levels', filter: { _id: data.sku, pricePosition: event.position, ...fenceFilter(epoch) }, update: { $set: { price: data.price } }, upsert: false },
      ];
    }
    const sign = event.type === 'ItemsReserved' ? 1 : -1;
    return (data.items as Array<{ sku: string; quantity: number }>).map((item) =>
      guardedWrite('levels', item.sku, event, { $inc: { available: -sign * item.quantity, reserved: sign * item.quantity }, $max: { updatedAt: at } }, epoch),
    );
  },
});
