import type { Db } from 'mongodb';

/** The API's record of answered Idempotency-Keys (api/idempotency.ts). */
export const IDEMPOTENCY_KEYS = 'idempotency_keys';

/** Idempotency keys expire after their retention (TTL on expiresAt). */
export async function ensureIdempotencyKeyIndexes(db: Db): Promise<void> {
  await db.collection(IDEMPOTENCY_KEYS).createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
}
