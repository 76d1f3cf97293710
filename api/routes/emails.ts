import { Router } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { emailCollection } from '../../consumers/email';
import { parse } from '../validate';
import { policedRouter, type PoliceDeps } from '../policed-router';

const query = z.strictObject({
  orderId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** GET /emails: what the Email service has sent (its transport log). */
export function emailRoutes(deps: { police: PoliceDeps; db: Db }): Router {
  const router = policedRouter(deps.police);
  router.get('/emails', async (req, res) => {
    const q = parse(query, req.query, 'query');
    const docs = await emailCollection(deps.db)
      .find(q.orderId ? { orderId: q.orderId } : {})
      .sort({ sentAt: -1 })
      .limit(q.limit)
      .toArray();
    res.json({ emails: docs.map(({ _id, ...rest }) => ({ id: _id, ...rest })) });
  });
  return router;
}
