import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { inject } from 'vitest';
import { ensureServiceIndexes } from '../../activities/indexes';
import { createEventStore, type EventStore } from '../../eventstore';

export interface ServiceDb {
  db: Db;
  store: EventStore;
  /** Drops the database and closes its client. */
  close(): Promise<void>;
}

/**
 * A database of its own (`<prefix>_<random>`) on the test MongoDB server with the event store's and
 * the services' indexes: what the real activities need.
 */
export async function openServiceDb(prefix: string): Promise<ServiceDb> {
  const mongo = await new MongoClient(inject('mongodbUri')).connect();
  const db = mongo.db(`${prefix}_${randomUUID().slice(0, 8)}`);
  const store = createEventStore(db);
  await store.ensureIndexes();
  await ensureServiceIndexes(db);
  return {
    db,
    store,
    close: async () => {
      await db.dropDatabase().catch(() => {});
      await mongo.close();
    },
  };
}
