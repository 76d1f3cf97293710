import { Router } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { DeadLetterDocument } from '../../activities/dead-letters';
import { parse } from '../validate';

const listQuery = z.strictObject({
  source: z.enum(['saga', 'projection', 'notification']).optional(),
  status: z.enum(['open', 'redriven', 'discarded']).optional(),
  orderId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export function deadLetterRoutes(deps: { db: Db }): Router {
  const router = Router();
  const deadLetters = deps.db.collection<DeadLetterDocument>('dead_letters');

  router.get('/dead-letters', async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const filter = { ...(q.source && { source: q.source }), ...(q.status && { status: q.status }), ...(q.orderId && { orderId: q.orderId }) };
    const docs = await deadLetters.find(filter).sort({ createdAt: -1 }).limit(q.limit).toArray();
    res.json({ deadLetters: docs.map(({ _id, ...rest }) => ({ id: _id, ...rest })) });
  });

  return router;
}
