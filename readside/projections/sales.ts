import { asSagaEvent } from '../../domain/orders';
import type { StoredEvent } from '../../eventstore';
import { guardedWrite, writeProjection, type Write } from './types';

/**
 * Sales analytics, the Analytics service's read model: per day and per SKU, the number of
 * completed orders, units and revenue (cents). Fed by OrderCompleted only: cancelled orders are
 * not sales.
 */
export const salesProjection = writeProjection({
  name: 'sales',
  // Read as lists only; a list read of one's own write answers from the documents (documentsHold).
  checkpoint: 'lazy',
  collections: { byDay: [{ key: { day: 1 } }], bySku: [{ key: { day: 1, sku: 1 } }] },
  eventTypes: ['OrderCompleted'],
  writes(event: StoredEvent, epoch): Write[] {
    const e = asSagaEvent(event);
    if (e.type !== 'OrderCompleted') return [];
    const { data } = e;
    const items = data.items ?? [];
    const day = event.metadata.timestamp.toISOString().slice(0, 10);
    const units = items.reduce((n, i) => n + i.quantity, 0);
    const revenue = data.total ?? items.reduce((n, i) => n + i.quantity * i.unitPrice, 0);
    const perSku = new Map<string, { units: number; revenue: number }>();
    for (const item of items) {
      const current = perSku.get(item.sku) ?? { units: 0, revenue: 0 };
      perSku.set(item.sku, {
        units: current.units + item.quantity,
        revenue: current.revenue + item.quantity * item.unitPrice,
      });
    }
    return [
      guardedWrite('byDay', day, event, { $inc: { orders: 1, units, revenue }, $set: { day } }, epoch),
      // Per day and SKU, so a date range can be summed per SKU.
      ...[...perSku].map(([sku, totals]) =>
        guardedWrite('bySku', `${day}|${sku}`, event, { $inc: { orders: 1, ...totals }, $set: { day, sku } }, epoch),
      ),
    ];
  },
});
