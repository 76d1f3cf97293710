import { Router, type Request } from 'express';
import type { Collection, Db, Document, Filter } from 'mongodb';
import {
  accountsProjection,
  accountView,
  inventoryLevelView,
  inventoryProjection,
  orderDocumentPosition,
  orderView,
  ordersProjection,
  salesProjection,
  type AccountViewDocument,
  type InventoryLevelDocument,
  type OrderViewDocument,
} from '../../readside';
import { readConsistency, withoutConsistency } from '../read-consistency';
import type { EventStore } from '../../eventstore';
import { HttpError, notFound } from '../errors';
import { parse, refuseEmptyRange } from '../validate';
import { ownCustomer } from '../auth';
import {
  accountsQuery,
  CURSOR_PATTERN,
  emptyQuery,
  customerOrdersQuery,
  customerParams,
  orderIdParams,
  ordersQuery,
  salesQuery,
} from '../contract';
import { answerOf } from '../contract/read-model-answer';
import { policedRouter, type PoliceDeps } from '../policed-router';
import type { PersonalData } from '../../infra/personal-data';
import type { Config } from '../../config';

/** Matches no document: what a customer without a pseudonym (never seen, or erased) is filtered by. */
const NO_ONE = '';

/**
 * The query side (CQRS): every answer here comes from a read model that the projector builds from
 * the event log, so it is eventually consistent with the commands. Pass `minPosition` to wait for
 * your own write. The saga's live state (GET /orders/:id/saga) and the account's own stream
 * (GET /accounts/:id) are strongly consistent instead.
 */
export function readModelRoutes(deps: {
  police: PoliceDeps;
  db: Db;
  store: Pick<EventStore, 'headPosition' | 'eventAt'>;
  personalData: PersonalData;
  config: Pick<Config, 'PROJECTION_STALL_AFTER'>;
}): Router {
  const router = policedRouter(deps.police);
  const { db, personalData } = deps;
  const { awaitReadModel, awaitDocument } = readConsistency({
    db,
    store: deps.store,
    stallAfterMs: deps.config.PROJECTION_STALL_AFTER,
  });
  /** The read models know customers by pseudonym only; one without a key (unknown, or erased) matches nothing. */
  const customerFilter = async (customerId: string) => (await personalData.pseudonymIfKnown(customerId)) ?? NO_ONE;
  /** The read models hold personal fields sealed, as the events did; they are opened for the answer only. */
  const orderAnswer = (order: OrderViewDocument) => answerOf(orderView, order, personalData.openDeep);

  async function pageOf<T extends Document & { _id: string }>(
    req: Request,
    collection: Collection<T>,
    filter: Filter<T>,
    sortField: string,
    q: { limit: number; cursor?: string },
  ) {
    const after = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
    const query: Document = { ...filter };
    if (after)
      query.$or = [{ [sortField]: { $lt: after.value } }, { [sortField]: after.value, _id: { $lt: after.id } }];
    const docs = await collection
      .find(query as Filter<T>)
      .sort({ [sortField]: -1, _id: -1 })
      .limit(q.limit + 1)
      .toArray();
    const items = docs.slice(0, q.limit);
    const last = items.at(-1) as Document | undefined;
    return {
      items,
      nextCursor: docs.length > q.limit && last ? encodeCursor(last[sortField], String(last._id)) : null,
    };
  }

  router.get('/orders', async (req, res) => {
    const served = await awaitReadModel(ordersProjection, req, res);
    const q = parse(ordersQuery, withoutConsistency(req.query), 'query');
    refuseEmptyRange(q.from, q.to, (from, to) => Date.parse(from) > Date.parse(to));
    const orders = served.collection<OrderViewDocument>('orders');
    const own = ownCustomer(res);
    if (own !== undefined && q.customerId !== undefined && q.customerId !== own)
      throw new HttpError(403, 'forbidden', 'A client may list its own orders only');
    const customerId = own ?? q.customerId;
    const pseudonym = customerId === undefined ? undefined : await customerFilter(customerId);
    if (own !== undefined && q.customer !== undefined && q.customer !== pseudonym)
      throw new HttpError(403, 'forbidden', 'A client may list its own orders only');
    // A customer named both ways must be one customer: two different ones match nothing.
    const customer =
      pseudonym !== undefined && q.customer !== undefined && q.customer !== pseudonym
        ? NO_ONE
        : (pseudonym ?? q.customer);
    // On the order's creation, as GET /analytics/sales bounds its days.
    const created = {
      ...(q.from !== undefined && { $gte: new Date(q.from) }),
      ...(q.to !== undefined && { $lte: new Date(q.to) }),
    };
    const filter: Filter<OrderViewDocument> = {
      'facts.created': true,
      ...(q.status && { status: q.status }),
      ...(customer !== undefined && { customer }),
      ...(Object.keys(created).length > 0 && { createdAt: created }),
    };
    const { items, nextCursor } = await pageOf(req, orders, filter, 'createdAt', q);
    res.json({ orders: await Promise.all(items.map(orderAnswer)), nextCursor });
  });

  router.get('/orders/:orderId', async (req, res) => {
    const { orderId } = parse(orderIdParams, req.params, 'params');
    parse(emptyQuery, withoutConsistency(req.query), 'query');
    // One document: it answers minPosition itself when it has applied that far (no checkpoint).
    // By _id alone (served from the index everywhere); whose it is, the access policy checked.
    const order = await awaitDocument(
      ordersProjection,
      req,
      res,
      (served) => served.collection<OrderViewDocument>('orders').findOne({ _id: orderId }),
      orderDocumentPosition,
    );
    if (!order?.facts?.created) throw notFound(`Order ${orderId}`);
    res.json(await orderAnswer(order));
  });

  router.get('/customers/:customerId/orders', async (req, res) => {
    const served = await awaitReadModel(ordersProjection, req, res);
    const { customerId } = parse(customerParams, req.params, 'params');
    const q = parse(customerOrdersQuery, withoutConsistency(req.query), 'query');
    const orders = served.collection<OrderViewDocument>('orders');
    const customer = await customerFilter(customerId);
    const { items, nextCursor } = await pageOf(
      req,
      orders,
      { customer, 'facts.created': true, ...(q.status && { status: q.status }) },
      'createdAt',
      q,
    );
    res.json({ customerId, orders: await Promise.all(items.map(orderAnswer)), nextCursor });
  });

  router.get('/accounts', async (req, res) => {
    const served = await awaitReadModel(accountsProjection, req, res, 'accounts');
    const q = parse(accountsQuery, withoutConsistency(req.query), 'query');
    const accounts = served.collection<AccountViewDocument>('accounts');
    // A client lists the accounts its customer holds; operators list all.
    const own = ownCustomer(res);
    const customer = own === undefined ? undefined : await customerFilter(own);
    const opened: Filter<AccountViewDocument> = { openedAt: { $exists: true } };
    const { items, nextCursor } = await pageOf(
      req,
      accounts,
      customer !== undefined ? { customer, ...opened } : opened,
      'openedAt',
      q,
    );
    res.json({
      accounts: await Promise.all(items.map((a) => answerOf(accountView, a, personalData.openDeep))),
      nextCursor,
    });
  });

  router.get('/inventory', async (req, res) => {
    const served = await awaitReadModel(inventoryProjection, req, res, 'levels');
    parse(emptyQuery, withoutConsistency(req.query), 'query');
    const levels = await served
      .collection<InventoryLevelDocument>('levels')
      .find({})
      .sort({ _id: 1 })
      .limit(1_000)
      .toArray();
    res.json({ levels: await Promise.all(levels.map((l) => answerOf(inventoryLevelView, l, personalData.openDeep))) });
  });

  router.get('/analytics/sales', async (req, res) => {
    // The wait comes first, as on every read model (a minPosition beyond the log's head is a 422
    // whatever else the query says); the list it waits on is the one the query asks for.
    const served = await awaitReadModel(salesProjection, req, res, req.query.groupBy === 'sku' ? 'bySku' : 'byDay');
    const q = parse(salesQuery, withoutConsistency(req.query), 'query');
    refuseEmptyRange(q.from, q.to, (from, to) => from > to);
    const range: Document = {};
    if (q.from) range.$gte = q.from;
    if (q.to) range.$lte = q.to;
    const filter = Object.keys(range).length ? { day: range } : {};
    if (q.groupBy === 'day') {
      const days = await served.collection('byDay').find(filter).sort({ day: 1 }).toArray();
      res.json({
        groupBy: 'day',
        from: q.from ?? null,
        to: q.to ?? null,
        rows: days.map((d) => ({ day: d.day, orders: d.orders, units: d.units, revenue: d.revenue })),
      });
      return;
    }
    const rows = await served.collection('bySku').find(filter).toArray();
    const bySku = new Map<string, { sku: string; orders: number; units: number; revenue: number }>();
    for (const r of rows) {
      const t = bySku.get(r.sku) ?? { sku: r.sku, orders: 0, units: 0, revenue: 0 };
      bySku.set(r.sku, {
        sku: r.sku,
        orders: t.orders + r.orders,
        units: t.units + r.units,
        revenue: t.revenue + r.revenue,
      });
    }
    res.json({
      groupBy: 'sku',
      from: q.from ?? null,
      to: q.to ?? null,
      rows: [...bySku.values()].sort((a, b) => b.revenue - a.revenue || a.sku.localeCompare(b.sku)),
    });
  });

  return router;
}

/**
 * A page ends at (sort instant, id); the next page starts strictly after it. The cursor is those
 * two, readable: `<epoch milliseconds>.<id>`. Every string of that shape (CURSOR_PATTERN, which the
 * OpenAPI document states) is a place to continue from, so a client can build one, and nothing
 * else is accepted.
 */
function encodeCursor(value: unknown, id: string): string {
  return `${value instanceof Date ? value.getTime() : 0}.${id}`;
}

function decodeCursor(cursor: string): { value: Date; id: string } {
  const match = CURSOR_PATTERN.exec(cursor);
  if (!match)
    throw new HttpError(
      400,
      'validation_failed',
      'query: cursor: must be <epoch milliseconds>.<id>, as nextCursor returns it',
      [{ field: 'cursor', message: 'invalid cursor' }],
    );
  return { value: new Date(Number(match[1])), id: match[2]! };
}
