import { Router } from 'express';
import type { Db } from 'mongodb';
import { emailCollection } from '../../consumers/email';
import { parse } from '../validate';
import { emailQuery } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';

/** GET /emails: what the Email service has sent (its transport log). */
export function emailRoutes(deps: { police: PoliceDeps; db: Db }): Router {
  const router = policedRouter(deps.police);
  router.get('/emails', async (req, res) => {
    const q = parse(emailQuery, req.query, 'query');
    const docs = await emailCollection(deps.db)
      .find(q.orderId ? { orderId: q.orderId } : {})
      .sort({ sentAt: -1 })
      .limit(q.limit)
      .toArray();
    res.json({ emails: docs.map(({ _id, ...rest }) => ({ id: _id, ...rest })) });
  });
  return router;
}
