import type { Db } from 'mongodb';
import { createEventStore, type EventStore } from '../../eventstore';

/** An event store on `db`, with the store's indexes made. */
export async function indexedEventStore(db: Db): Promise<EventStore> {
  const store = createEventStore(db);
  await store.ensureIndexes();
  return store;
}

/**
 * Two event stores on one database, standing for two processes: each groups its own appends, and
 * the indexes (made once) judge between them.
 */
export async function twoEventStores(db: Db): Promise<[EventStore, EventStore]> {
  return [await indexedEventStore(db), createEventStore(db)];
}
