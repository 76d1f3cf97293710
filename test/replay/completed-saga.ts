import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { createAccountService } from '../../domain/accounts';
import type { OrderSagaInput } from '../../domain/orders';
import { WORKFLOW_NAMES, type OrderSagaWorkflow } from '../../workflows/client';
import { stockDocument } from '../helpers/stock-document';
import type { TimeSkippingWorker } from '../helpers/time-skipping-worker';
import { MATRIX_SETTINGS } from '../workflow/saga-env';

/** A new saga run to completion on the happy path in the time-skipping environment, with its history. */
export async function completedSaga(t: TimeSkippingWorker, prefix: string) {
  const orderId = `${prefix}-${randomUUID().slice(0, 8)}`;
  const { accountId } = await createAccountService({ store: t.store }).openAccount({
    owner: orderId,
    initialDeposit: 100_000,
  });
  const sku = `SKU-${orderId}`;
  await stockDocument(t.db, sku, 10, 1_500);
  const input: OrderSagaInput = {
    orderId,
    customerId: `customer-${orderId}`,
    accountId,
    items: [{ sku, quantity: 2 }],
    shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    correlationId: randomUUID(),
    settings: MATRIX_SETTINGS,
  };
  const handle = await t.env.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
    taskQueue: t.taskQueue,
    workflowId: `order-${orderId}`,
    args: [input],
  });
  expect(await handle.result()).toMatchObject({ status: 'COMPLETED' });
  return { orderId, history: await handle.fetchHistory() };
}
