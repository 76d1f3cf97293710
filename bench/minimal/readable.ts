import type { Db } from 'mongodb';
import { MINIMAL_ORDERS } from './activities';

/** An order is readable once the watcher has applied all five of its events. */
const EVENTS_PER_ORDER = 5;

/**
 * When each minimal saga's order becomes readable, found the way ours are (bench/scenarios/saga.ts,
 * startVisibilityPoller): one batched read of the read-model collection every 10 ms while orders
 * are pending ({ _id: { $in } }, served by the _id index). Both sides are watched with the same
 * instrument during their own rounds, so the MongoDB work it causes falls on each side alike.
 * `completed` resolves with the time from `since` to the read that saw the order complete.
 */
export function startMinimalReadable(db: Db, now: () => number, timeoutMs = 120_000) {
  const orders = db.collection<{ _id: string; events: number }>(MINIMAL_ORDERS);
  const pending = new Map<string, { since: number; resolve(ms: number): void; reject(e: Error): void }>();
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 10));
      if (pending.size === 0) continue;
      try {
        const docs = await orders.find({ _id: { $in: [...pending.keys()] } }, { projection: { events: 1 } }).toArray();
        const at = now();
        for (const doc of docs) {
          const entry = pending.get(doc._id);
          if (!entry || doc.events < EVENTS_PER_ORDER) continue;
          pending.delete(doc._id);
          entry.resolve(at - entry.since);
        }
        for (const [id, entry] of pending) {
          if (at - entry.since <= timeoutMs) continue;
          pending.delete(id);
          entry.reject(new Error(`minimal watcher: order ${id} not in ${MINIMAL_ORDERS} within ${timeoutMs / 1000} s`));
        }
      } catch {
        // A failed read is tried again at the next tick; an order never seen complete times out.
      }
    }
  };
  void loop();
  return {
    completed: (orderId: string, since: number) =>
      new Promise<number>((resolve, reject) => pending.set(orderId, { since, resolve, reject })),
    stop: () => {
      stopped = true;
    },
  };
}
