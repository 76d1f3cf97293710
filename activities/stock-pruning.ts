import type { Db } from 'mongodb';
import { SETTLED_STATUSES } from '../domain/orders';
import { ordersProjection, readModel } from '../readside';
import { stockCollection } from './inventory';

/**
 * A SKU document keeps, per order, the quantity reserved for it (`reservations.<orderId>`) and a
 * released marker (`released.<orderId>`): together they make "reserve if available and not yet
 * reserved or released for this order" one atomic update. Kept forever, they made a popular SKU's
 * document grow with every order it was ever in, rewritten whole on every reservation, until
 * MongoDB's 16 MiB limit refused them.
 *
 * An order's entries are needed only while something may still reserve or release for it: its
 * saga is running, or a compensation is parked (COMPENSATION_INCOMPLETE, which an operator may
 * redrive), or an attempt that timed out is still running somewhere. So they are removed once the
 * order is settled (SETTLED_STATUSES: COMPLETED or CANCELLED) and has not changed for `settledForMs` (default 10 minutes, far
 * beyond any activity attempt's start-to-close timeout). Restock markers stay: they keep a restock
 * exactly-once even when its Idempotency-Key is sent again long after the key expired.
 *
 * Which orders are settled, and since when, comes from the orders read model: its lag only puts
 * a prune off to a later run, and settled statuses never change back.
 */
export async function pruneSettledReservations(
  db: Db,
  options: { settledForMs: number; now?: Date; batch?: number },
): Promise<{ documents: number; entries: number }> {
  const stock = stockCollection(db);
  const orders = await readModel<{ _id: string; status: string; updatedAt: Date }>(db, ordersProjection, 'orders');
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.settledForMs);
  let documents = 0;
  let entries = 0;
  for await (const doc of stock.find({}, { projection: { reservations: 1, released: 1 } })) {
    const ids = [...new Set([...Object.keys(doc.reservations ?? {}), ...Object.keys(doc.released ?? {})])];
    if (ids.length === 0) continue;
    const settled = new Set<string>();
    for (let i = 0; i < ids.length; i += options.batch ?? 500) {
      const found = await orders
        .find(
          {
            _id: { $in: ids.slice(i, i + (options.batch ?? 500)) },
            status: { $in: [...SETTLED_STATUSES] },
            updatedAt: { $lt: cutoff },
          },
          { projection: { _id: 1 } },
        )
        .toArray();
      for (const o of found) settled.add(o._id);
    }
    if (settled.size === 0) continue;
    const unset: Record<string, ''> = {};
    for (const id of settled) {
      if (doc.reservations?.[id] !== undefined) unset[`reservations.${id}`] = '';
      if (doc.released?.[id] !== undefined) unset[`released.${id}`] = '';
    }
    await stock.updateOne({ _id: doc._id }, { $unset: unset });
    documents++;
    entries += Object.keys(unset).length;
  }
  return { documents, entries };
}
