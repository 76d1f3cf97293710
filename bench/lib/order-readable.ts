/**
 * When our orders become readable, watched as the minimal side's are (./batched-readable.ts). A
 * client's read of its order is not saga work, so it is not made inside a round's window; the
 * API's answer for every order is checked once the window has closed (checkThroughApi), and what
 * those reads cost is reported apart.
 */
import type { Db } from 'mongodb';
import type { createApiClient } from '../../api/client';
import { physicalName, projectionState } from '../../readside';
import { startBatchedReadable } from './batched-readable';
import { closedLoop } from './util';

export function startOrderReadable(db: Db) {
  return startBatchedReadable<{ _id: string; status: string; failureReason?: string }>({
    collection: async () =>
      db.collection(physicalName('orders', 'orders', (await projectionState(db, 'orders')).active)),
    projection: { status: 1, failureReason: 1 },
    readiness: (doc) =>
      doc.status === 'COMPLETED'
        ? 'ready'
        : doc.status === 'CANCELLED'
          ? new Error(`order ${doc._id} was CANCELLED: ${doc.failureReason}`)
          : 'pending',
    what: 'order (COMPLETED in the orders read model)',
  });
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
