import { Router } from 'express';
import type { Db } from 'mongodb';
import { settlementCollection, type SettlementDocument } from '../../infra/settlements';
import { parse } from '../validate';
import { unsettledQuery } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';

/**
 * GET /orders/unsettled: orders whose saga ended without an outcome, from the settlements ledger
 * the worker's sweep and the settle workflow keep. Mounted before GET /orders/:orderId.
 */
export function unsettledRoutes(deps: { police: PoliceDeps; db: Db }): Router {
  const router = policedRouter(deps.police);
  router.get('/orders/unsettled', async (req, res) => {
    const q = parse(unsettledQuery, req.query, 'query');
    const state: SettlementDocument['state'][] = q.state === 'open' ? ['unsettled', 'settling', 'held'] : [q.state];
    const docs = await settlementCollection(deps.db)
      .find({ ...(q.orderId !== undefined && { _id: q.orderId }), state: { $in: state } })
      .sort({ detectedAt: -1 })
      .limit(q.limit)
      .toArray();
    res.json({ orders: docs.map(({ _id, ...rest }) => ({ orderId: _id, ...rest })) });
  });
  return router;
}
