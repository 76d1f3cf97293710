import type { Db } from 'mongodb';
import { startBatchedReadable } from '../lib/batched-readable';
import { MINIMAL_ORDERS } from './activities';

/** An order is readable once the watcher has applied all five of its events. */
const EVENTS_PER_ORDER = 5;

/** When each minimal saga's order becomes readable, watched as ours are (bench/lib/batched-readable.ts). */
export function startMinimalReadable(db: Db) {
  return startBatchedReadable<{ _id: string; events: number }>({
    collection: async () => db.collection(MINIMAL_ORDERS),
    projection: { events: 1 },
    readiness: (doc) => (doc.events >= EVENTS_PER_ORDER ? 'ready' : 'pending'),
    what: `minimal order (all ${EVENTS_PER_ORDER} events in ${MINIMAL_ORDERS})`,
  });
}
