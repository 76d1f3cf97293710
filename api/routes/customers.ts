import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Router } from 'express';
import type { Db } from 'mongodb';
import type { PersonalData } from '../../infra/personal-data';
import { actorOf } from '../auth';
import { customerParams, customerSagasQuery } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';
import { parse } from '../validate';
import { CustomerIdKey } from '../../workflows/client';

/**
 * A customer's data across the platform: finding the sagas Temporal holds for them (by pseudonym),
 * and erasing their personal data everywhere by destroying their data key.
 */
export function customerRoutes(deps: { police: PoliceDeps; client: Client; db: Db; personalData: PersonalData }): Router {
  const router = policedRouter(deps.police);
  const audit = deps.db.collection('audit_log');

  router.get('/customers/:customerId/sagas', async (req, res) => {
    const { customerId } = parse(customerParams, req.params, 'params');
    const { limit } = parse(customerSagasQuery, req.query, 'query');
    const pseudonym = await deps.personalData.blindIndex(customerId);
    const sagas = [];
    // The pseudonym is base64url with a prefix: nothing in it can break out of the quotes.
    for await (const w of deps.client.workflow.list({ query: `${CustomerIdKey.name} = '${pseudonym}'` })) {
      sagas.push({ workflowId: w.workflowId, runId: w.runId, type: w.type, status: w.status.name, startTime: w.startTime, closeTime: w.closeTime ?? null });
      if (sagas.length >= limit) break;
    }
    res.json({ customerId, pseudonym, query: `${CustomerIdKey.name} = '${pseudonym}'`, sagas });
  });

  router.delete('/customers/:customerId/personal-data', async (req, res) => {
    const { customerId } = parse(customerParams, req.params, 'params');
    const { erased, erasedAt } = await deps.personalData.erase(customerId);
    if (erased) await audit.insertOne({ _id: randomUUID() as never, action: 'erase-personal-data', customerId, at: erasedAt, by: actorOf(res) });
    res.json({ customerId, erased, erasedAt });
  });

  return router;
}
