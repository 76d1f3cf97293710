import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/order';
import type { OrderSagaInput, OrderSagaResult } from './types';

const orders = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** The order saga, workflow id `order-<orderId>`. */
export async function orderSaga(input: OrderSagaInput): Promise<OrderSagaResult> {
  await orders.createOrder(input);
  return { orderId: input.orderId, status: 'PENDING' };
}
