import { proxyActivities } from '@temporalio/workflow';
import { activityOptions } from '../../workflows/policies';
import type { StepPolicy } from '../../domain/orders';
import type { NoopActivities } from './activities';

/** The saga's default "order" step policy, so timeouts and retries match the real workflow's. */
const policy: StepPolicy = {
  startToCloseTimeoutMs: 10_000,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  maximumAttempts: 5,
};

const steps = proxyActivities<NoopActivities>(activityOptions(policy));

/** The baseline: the order saga's five happy-path steps, in sequence, as no-op activities. */
export async function noopSaga(input: { orderId: string }): Promise<{ orderId: string; status: 'COMPLETED' }> {
  await steps.noopCreateOrder(input);
  await steps.noopProcessPayment(input);
  await steps.noopReserveItems(input);
  await steps.noopScheduleShipment(input);
  await steps.noopCompleteOrder(input);
  return { orderId: input.orderId, status: 'COMPLETED' };
}
