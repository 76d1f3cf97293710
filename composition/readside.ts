import type { Db } from 'mongodb';
import { createEventStore, type EventStore } from '../eventstore';

/** What the read side runs on: one event store for every subscription, projection and health check of the process. */
export function readSideParts(db: Db): { db: Db; store: EventStore } {
  return { db, store: createEventStore(db) };
}
