import { randomUUID } from 'node:crypto';
import { createAccountService } from '../../domain/accounts';
import type { OrderSagaInput } from '../../domain/orders';
import { WORKFLOW_NAMES, type OrderSagaWorkflow } from '../../workflows/client';
import { MATRIX_SETTINGS } from '../workflow/saga-env';
import { stockDocument } from './stock-document';
import type { TimeSkippingWorker } from './time-skipping-worker';

/**
 * Starts an order saga in the time-skipping environment with an account of its own (`balance`)
 * and a SKU of its own (10 in stock at `price`), for two of that SKU.
 */
export async function startSaga(
  t: TimeSkippingWorker,
  prefix: string,
  { balance = 100_000, price = 1_500, settings = MATRIX_SETTINGS } = {},
) {
  const orderId = `${prefix}-${randomUUID().slice(0, 8)}`;
  const { accountId } = await createAccountService({ store: t.store }).openAccount({
    owner: orderId,
    initialDeposit: balance,
  });
  const sku = `SKU-${orderId}`;
  await stockDocument(t.db, sku, 10, price);
  const input: OrderSagaInput = {
    orderId,
    customerId: `customer-${orderId}`,
    accountId,
    items: [{ sku, quantity: 2 }],
    shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    correlationId: randomUUID(),
    settings,
  };
  const handle = await t.env.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
    taskQueue: t.taskQueue,
    workflowId: `order-${orderId}`,
    args: [input],
  });
  return { orderId, accountId, handle };
}
