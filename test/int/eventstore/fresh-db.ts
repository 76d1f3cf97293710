import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { inject } from 'vitest';
import { createEventStore, type EventStore, type EventStoreOptions } from '../../../eventstore';

export interface FreshStore {
  client: MongoClient;
  db: Db;
  store: EventStore;
  /** A second store on the same database, e.g. with fault injection. */
  storeWith(options: EventStoreOptions): EventStore;
  close(): Promise<void>;
}

/** An event store on a database of its own on the test MongoDB server, dropped on close. */
export async function freshStore(options: { monitorCommands?: boolean } = {}): Promise<FreshStore> {
  const client = new MongoClient(inject('mongodbUri'), {
    serverSelectionTimeoutMS: 5_000,
    maxPoolSize: 50,
    ...options,
  });
  await client.connect();
  const db = client.db(`es_${randomUUID().slice(0, 8)}`);
  const store = createEventStore(db);
  await store.ensureIndexes();
  return {
    client,
    db,
    store,
    storeWith: (options) => createEventStore(db, options),
    close: async () => {
      await db.dropDatabase().catch(() => {});
      await client.close();
    },
  };
}

/** Documents in `events` that are real events (not gap markers). */
export function realEventCount(db: Db): Promise<number> {
  return db.collection('events').countDocuments({ type: { $ne: '$gap' } });
}
