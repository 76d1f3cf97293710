import { Router } from 'express';
import type { Db } from 'mongodb';
import { addressOf, emailCollection } from '../../readside';
import type { PersonalData } from '../../infra/personal-data';
import { parse } from '../validate';
import { emailQuery } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';

/** GET /emails: what the Email service has sent (its transport log). */
export function emailRoutes(deps: { police: PoliceDeps; db: Db; personalData: PersonalData }): Router {
  const router = policedRouter(deps.police);
  router.get('/emails', async (req, res) => {
    const q = parse(emailQuery, req.query, 'query');
    const docs = await emailCollection(deps.db)
      .find(q.orderId ? { orderId: q.orderId } : {})
      .sort({ sentAt: -1 })
      .limit(q.limit)
      .toArray();
    const emails = await Promise.all(
      docs.map(async ({ _id, customerId, ...rest }) => {
        // Emails written before recipients were sealed carry a plain `to` of their own.
        const opened = await deps.personalData.openOrNull(customerId);
        return { id: _id, customerId: opened, to: addressOf(opened), ...rest };
      }),
    );
    res.json({ emails });
  });
  return router;
}
