import type { Db } from 'mongodb';
import type { StoredEvent } from '../eventstore';
import type { Faults } from '../infra/faults';
import type { PricedItem } from '../workflows/types';
import type { Subscription } from './runner';

/** One recorded sale per completed order (keyed by order id, so a redelivered event changes nothing). */
export interface SaleDocument {
  _id: string; // order id
  customerId: string | null;
  day: string; // YYYY-MM-DD (UTC) of the completion
  items: PricedItem[];
  units: number;
  revenue: number;
  completedAt: Date;
  position: number;
}

export const salesCollection = (db: Db) => db.collection<SaleDocument>('analytics_sales');

/** The Analytics service: records every completed order as a sale, independently of the saga. */
export function analyticsSubscription({ db, faults }: { db: Db; faults: Faults }): Subscription {
  const sales = salesCollection(db);
  return {
    name: 'analytics',
    eventTypes: ['OrderCompleted'],
    retry: { initialMs: 100, maxMs: 5_000, maxAttempts: Number.POSITIVE_INFINITY },
    async handle(event: StoredEvent) {
      await faults.failIfDown('analytics');
      const data = event.data as { orderId: string; customerId?: string; total?: number; items?: PricedItem[] };
      const items = data.items ?? [];
      await sales.updateOne(
        { _id: data.orderId },
        {
          $setOnInsert: {
            customerId: data.customerId ?? null,
            day: event.metadata.timestamp.toISOString().slice(0, 10),
            items,
            units: items.reduce((n, i) => n + i.quantity, 0),
            revenue: data.total ?? items.reduce((n, i) => n + i.quantity * i.unitPrice, 0),
            completedAt: event.metadata.timestamp,
            position: event.position,
          },
        },
        { upsert: true },
      );
    },
  };
}
