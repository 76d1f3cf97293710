import { z } from 'zod';
import { customerParams } from './orders';
import { operations, operators } from './define';
import { customerSagasBody, erasureBody } from './responses';

export const customerSagasQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export const customerOperations = operations({
  'GET /customers/:customerId/sagas': {
    summary:
      "The customer's sagas, from Temporal's visibility. Temporal holds no customer id: the CustomerId search attribute is the customer's pseudonym, a keyed hash under the customer's own data key, which this computes. After an erasure nothing finds them any more",
    access: operators,
    params: customerParams,
    query: customerSagasQuery,
    responses: {
      '200': {
        description: 'The pseudonym and the sagas found by it (visibility trails starts by a second or so)',
        body: customerSagasBody,
      },
    },
  },
  'DELETE /customers/:customerId/personal-data': {
    summary:
      "Erase the customer's personal data everywhere (crypto-shredding): destroys the customer's data key, so every copy sealed with it (events, saga histories, dead letters, read models) reads as [erased] from now on. Amounts, SKUs and statuses stay. Idempotent",
    access: { why: 'erasure is an operator act, recorded in the audit log' },
    params: customerParams,
    responses: { '200': { description: 'Erased (or already erased)', body: erasureBody } },
  },
});
