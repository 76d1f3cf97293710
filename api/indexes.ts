import type { Db } from 'mongodb';

/** The API's own collections: idempotency keys expire after their retention (TTL on expiresAt). */
export async function ensureApiIndexes(db: Db): Promise<void> {
  await db.collection('idempotency_keys').createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
}
