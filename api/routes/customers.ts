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
  const audit = deps.db.collection<{ _id: string }>('audit_log');

  router.get('/customers/:customerId/sagas', async (req, res) => {
    const { customerId } = parse(customerParams, req.params, 'params');
    const { limit } = parse(customerSagasQuery, req.query, 'query');
    // Looking up never creates a key: a customer with none (never seen, or erased) has no pseudonym and no sagas.
    const pseudonym = await deps.personalData.pseudonymIfKnown(customerId);
    if (pseudonym === null) return void res.json({ customerId, pseudonym: null, query: null, sagas: [] });
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
    // The audit record is keyed by the key it is about and written before the key is destroyed,
    // then completed: a crash anywhere in between leaves a record that the retry (erasing is
    // idempotent) completes, so no erasure goes unrecorded.
    const keyId = await deps.personalData.latestKeyId(customerId);
    const record = { _id: `erase-personal-data:${keyId}` };
    if (keyId !== null) await audit.updateOne(record, { $setOnInsert: { action: 'erase-personal-data', customerId, keyId, requestedAt: new Date(), by: actorOf(res) } }, { upsert: true });
    const { erased, erasedAt } = await deps.personalData.erase(customerId);
    if (keyId !== null) await audit.updateOne({ ...record, at: { $exists: false } }, { $set: { at: erasedAt } });
    res.json({ customerId, erased, erasedAt });
  });

  return router;
}
