import type { Client } from '@temporalio/client';
import type { Router } from 'express';
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
export function customerRoutes(deps: { police: PoliceDeps; client: Client; personalData: PersonalData }): Router {
  const router = policedRouter(deps.police);

  router.get('/customers/:customerId/sagas', async (req, res) => {
    const { customerId } = parse(customerParams, req.params, 'params');
    const { limit } = parse(customerSagasQuery, req.query, 'query');
    // Looking up never creates a key: a customer with none (never seen, or erased) has no pseudonym and no sagas.
    const pseudonym = await deps.personalData.pseudonymIfKnown(customerId);
    if (pseudonym === null) return void res.json({ customerId, pseudonym: null, query: null, sagas: [] });
    const sagas = [];
    // The pseudonym is base64url with a prefix: nothing in it can break out of the quotes.
    for await (const w of deps.client.workflow.list({ query: `${CustomerIdKey.name} = '${pseudonym}'` })) {
      sagas.push({
        workflowId: w.workflowId,
        runId: w.runId,
        type: w.type,
        status: w.status.name,
        startTime: w.startTime,
        closeTime: w.closeTime ?? null,
      });
      if (sagas.length >= limit) break;
    }
    res.json({ customerId, pseudonym, query: `${CustomerIdKey.name} = '${pseudonym}'`, sagas });
  });

  router.delete('/customers/:customerId/personal-data', async (req, res) => {
    const { customerId } = parse(customerParams, req.params, 'params');
    // Audited and crash-safe in the key store's own steps (infra/personal-data/erasure.ts): the
    // record is written before the key is destroyed and completed after, and a retry completes
    // whatever a crash left. Neither the record nor the key store names the customer afterwards.
    const { erased, erasedAt } = await deps.personalData.erase(customerId, actorOf(res));
    res.json({ customerId, erased, erasedAt });
  });

  return router;
}
