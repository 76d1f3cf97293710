import type { Db } from 'mongodb';

/**
 * Indexes for the services' conditional updates (`{ _id, status }`): on a real MongoDB the _id
 * index already serves them; the MongoDB stand-in uses an index only when a query names all of
 * its keys, and would otherwise scan collections that grow by one document per order.
 */
export async function ensureServiceIndexes(db: Db): Promise<void> {
  await Promise.all(['orders', 'payments', 'shipments'].map((name) => db.collection(name).createIndex({ _id: 1, status: 1 })));
}
