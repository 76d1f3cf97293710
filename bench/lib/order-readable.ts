/**
 * When our orders become readable, watched as the minimal side's are (bench/minimal/readable.ts):
 * one batched read of the orders read model every 10 ms ({ _id: { $in } }, served by the _id index
 * on every server). A client's read of its order is not saga work, so it is not made inside a
 * round's window; the API's answer for every order is checked once the window has closed
 * (checkThroughApi), and what those reads cost is reported apart.
 */
import type { Db } from 'mongodb';
import type { createApiClient } from '../../api/client';
import { physicalName, projectionState } from '../../readside';
import { closedLoop, log, now, sleep } from './util';

const GIVE_UP_MS = 120_000;

export function startOrderReadable(db: Db) {
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void; since: number }>();
  const done: string[] = [];
  let stopped = false;
  let collectionName: string | undefined;

  const loop = async () => {
    while (!stopped) {
      await sleep(10);
      if (pending.size === 0) continue;
      try {
        collectionName ??= physicalName('orders', 'orders', (await projectionState(db, 'orders')).active);
        const docs = await db
          .collection<{ _id: string; status: string; failureReason?: string }>(collectionName)
          .find({ _id: { $in: [...pending.keys()] } }, { projection: { status: 1, failureReason: 1 } })
          .toArray();
        for (const doc of docs) {
          const entry = pending.get(doc._id);
          if (!entry) continue;
          if (doc.status === 'COMPLETED') {
            pending.delete(doc._id);
            done.push(doc._id);
            entry.resolve();
          } else if (doc.status === 'CANCELLED') {
            pending.delete(doc._id);
            entry.reject(new Error(`order ${doc._id} was CANCELLED: ${doc.failureReason}`));
          }
        }
        for (const [id, entry] of pending) {
          if (now() - entry.since > GIVE_UP_MS) {
            pending.delete(id);
            entry.reject(new Error(`order ${id} not COMPLETED in the read model within ${GIVE_UP_MS / 1000} s`));
          }
        }
      } catch (err) {
        log(`  visibility poll failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  void loop();
  return {
    completed: (orderId: string) =>
      new Promise<void>((resolve, reject) => pending.set(orderId, { resolve, reject, since: now() })),
    completedIds: () => [...done],
    stop: () => {
      stopped = true;
    },
  };
}

/** GET /orders/:id for each order, a few at a time; throws unless every one answers COMPLETED. */
export async function checkThroughApi(api: ReturnType<typeof createApiClient>, orderIds: string[]): Promise<number> {
  if (orderIds.length === 0) return 0;
  const wrong: string[] = [];
  await closedLoop(orderIds.length, Math.min(8, orderIds.length), async (i) => {
    const orderId = orderIds[i]!;
    const { data, response } = await api.GET('/orders/{orderId}', { params: { path: { orderId } } });
    if (data?.status !== 'COMPLETED') wrong.push(`${orderId}: ${response.status} ${data?.status ?? ''}`);
  });
  if (wrong.length > 0) throw new Error(`GET /orders/:id did not answer COMPLETED for ${wrong.join(', ')}`);
  return orderIds.length;
}
