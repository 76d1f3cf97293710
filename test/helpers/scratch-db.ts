import { randomUUID } from 'node:crypto';
import type { Db, MongoClient } from 'mongodb';

/** Runs `use` on a database of its own (`<prefix>_<random>`), dropped afterwards whatever `use` did. */
export async function onScratchDb<T>(client: MongoClient, prefix: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = client.db(`${prefix}_${randomUUID().slice(0, 8)}`);
  try {
    return await use(db);
  } finally {
    await db.dropDatabase().catch(() => {});
  }
}
