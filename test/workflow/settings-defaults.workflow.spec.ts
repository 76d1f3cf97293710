import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createAccountService } from '../../domain/accounts';
import { SERVICES } from '../../domain/orders/steps';
import { createEventStore } from '../../eventstore';
import { WORKFLOW_NAMES, type OrderSagaWorkflow } from '../../workflows/client';
import { CustomerIdKey, OrderIdKey, OrderStatusKey } from '../../infra/search-attribute-keys';
import type { OrderSagaInput, OrderSagaResult, ServiceName } from '../../domain/orders';
import { waitFor } from '../helpers/wait-for';
import { useTimeSkippingSaga } from './saga-env';

/**
 * A saga started before a service had a step carries no retry policy for it in its input. It
 * must run on the domain's default policy for that service, not fail its workflow task.
 * SAGA_DEFAULTS_WORKFLOWS points this at another workflows/index.ts (to show what older code does).
 */
const workflows = process.env.SAGA_DEFAULTS_WORKFLOWS ? path.resolve(process.env.SAGA_DEFAULTS_WORKFLOWS) : undefined;

/** The message of the saga's first failed workflow task, if one failed. */
async function taskFailure(handle: WorkflowHandle): Promise<string | undefined> {
  const failed = (await handle.fetchHistory()).events?.find((e) => e.workflowTaskFailedEventAttributes);
  return failed ? (failed.workflowTaskFailedEventAttributes!.failure?.message ?? 'workflow task failed') : undefined;
}

describe('a saga whose input lacks the retry policy of a service', () => {
  const t = useTimeSkippingSaga(workflows);

  it.each(SERVICES)(
    'runs to completion without a policy for the %s service',
    { timeout: 60_000 },
    async (missing: ServiceName) => {
      const orderId = `no-${missing}-policy-${randomUUID().slice(0, 8)}`;
      const { accountId } = await createAccountService({ store: createEventStore(t.db) }).openAccount({
        owner: orderId,
        initialDeposit: 10_000,
      });
      const sku = `SKU-${orderId}`;
      await t.db.collection('inventory').insertOne({
        _id: sku as never,
        available: 5,
        reserved: 0,
        price: 1_000,
        reservations: {},
        released: {},
        updatedAt: new Date(),
      });
      const { [missing]: _dropped, ...policies } = t.settings.policies;
      const input: OrderSagaInput = {
        orderId,
        customerId: `customer-${orderId}`,
        accountId,
        items: [{ sku, quantity: 1 }],
        shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
        correlationId: randomUUID(),
        settings: { ...t.settings, policies: policies as OrderSagaInput['settings']['policies'] },
      };
      const handle = await t.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
        taskQueue: t.taskQueue,
        workflowId: `order-${orderId}`,
        args: [input],
        typedSearchAttributes: [
          { key: OrderIdKey, value: orderId },
          { key: CustomerIdKey, value: input.customerId },
          { key: OrderStatusKey, value: 'PENDING' },
        ],
      });

      let ended: OrderSagaResult | Error | undefined;
      handle.result().then(
        (result) => (ended = result),
        (err: Error) => (ended = err),
      );
      const failure = await waitFor(
        `order-${orderId} to end or fail a workflow task`,
        async () => (ended !== undefined ? 'ended' : await taskFailure(handle)),
        40_000,
      );
      expect(failure, 'the saga failed its workflow task').toBe('ended');
      expect(ended).not.toBeInstanceOf(Error);
      expect((ended as OrderSagaResult).status).toBe('COMPLETED');
      expect((ended as OrderSagaResult).failureReason).toBeNull();
    },
  );
});
