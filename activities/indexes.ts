import type { Db } from 'mongodb';

/** Indexes for the services' conditional updates (`{ _id, status }`; see eventstore/server-seam.ts, 4). */
export async function ensureServiceIndexes(db: Db): Promise<void> {
  await Promise.all(['orders', 'payments', 'shipments'].map((name) => db.collection(name).createIndex({ _id: 1, status: 1 })));
}
