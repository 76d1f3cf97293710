import type { Db } from 'mongodb';
import type { StockDocument } from '../../activities/inventory';

/**
 * A SKU in stock, written straight into the inventory service's document (no restock event): for
 * a spec whose subject is the saga, not the catalog.
 */
export async function stockDocument(db: Db, sku: string, available: number, price: number): Promise<void> {
  await db.collection<StockDocument>('inventory').insertOne({
    _id: sku,
    available,
    reserved: 0,
    price,
    reservations: {},
    released: {},
    updatedAt: new Date(),
  });
}
