import type { StoredEvent } from '../eventstore';
import { fenceFilter, guarded, type Projection } from './types';

/** Inventory levels per SKU: available, reserved, price. Every change is an increment, so order does not matter. */
export const inventoryProjection: Projection = {
  name: 'inventory',
  collections: { levels: [] },
  eventTypes: ['StockAdjusted', 'ItemsReserved', 'ItemsReleased'],
  async apply(event: StoredEvent, ctx) {
    const levels = ctx.collection('levels');
    const data = event.data as Record<string, any>;
    const at = event.metadata.timestamp;
    if (event.type === 'StockAdjusted') {
      await guarded(levels, data.sku, event, {
        $inc: { available: data.quantity, reserved: 0 },
        // The price of the latest adjustment wins, whatever order adjustments are applied in.
        $max: { updatedAt: at, pricePosition: event.position },
      }, { epoch: ctx.epoch });
      await levels.updateOne({ _id: data.sku, pricePosition: event.position, ...fenceFilter(ctx.epoch) }, { $set: { price: data.price } });
      return;
    }
    const sign = event.type === 'ItemsReserved' ? 1 : -1;
    for (const item of data.items as Array<{ sku: string; quantity: number }>) {
      await guarded(levels, item.sku, event, { $inc: { available: -sign * item.quantity, reserved: sign * item.quantity }, $max: { updatedAt: at } }, { epoch: ctx.epoch });
    }
  },
};
