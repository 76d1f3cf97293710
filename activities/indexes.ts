import type { Db } from 'mongodb';

/**
 * Indexes for the services' conditional updates (`{ _id, status }`; see eventstore/server-seam.ts, 4).
 * Payments and shipments have none: their streams are their state, and their documents of the
 * previous version are only read by _id.
 */
export async function ensureServiceIndexes(db: Db): Promise<void> {
  await Promise.all(['orders'].map((name) => db.collection(name).createIndex({ _id: 1, status: 1 })));
}
