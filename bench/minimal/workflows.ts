import { proxyActivities } from '@temporalio/workflow';
import { activityOptions } from '../../workflows/policies';
import type { StepPolicy } from '../../domain/orders';
import type { MinimalActivities } from './activities';

/** The saga's default "order" step policy, so timeouts and retries match the real workflow's. */
const policy: StepPolicy = {
  startToCloseTimeoutMs: 10_000,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  maximumAttempts: 5,
};

const steps = proxyActivities<MinimalActivities>(activityOptions(policy));

/** The minimal durable saga: the order saga's five happy-path steps, each one insert of its event. */
export async function minimalSaga(input: { orderId: string }): Promise<{ orderId: string; status: 'COMPLETED' }> {
  await steps.minimalCreateOrder(input);
  await steps.minimalProcessPayment(input);
  await steps.minimalReserveItems(input);
  await steps.minimalScheduleShipment(input);
  await steps.minimalCompleteOrder(input);
  return { orderId: input.orderId, status: 'COMPLETED' };
}
