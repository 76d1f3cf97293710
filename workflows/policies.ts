import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { BUSINESS_FAILURES } from '../domain/orders/saga';
import type { StepPolicy } from '../domain/orders/saga-settings';

/**
 * Turns one service's retry settings into Temporal activity options. Business failures are listed
 * as non-retryable here as well as thrown as such by the services, so a misclassified error in
 * one service cannot make the saga retry a declined payment.
 */
export function activityOptions(policy: StepPolicy): ActivityOptions {
  return {
    startToCloseTimeout: policy.startToCloseTimeoutMs,
    // When the saga is cancelled mid-step, wait for the step to finish before compensating: a
    // refund that ran while the charge was still in flight would find nothing to refund.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: policy.initialIntervalMs,
      backoffCoefficient: policy.backoffCoefficient,
      maximumInterval: policy.maximumIntervalMs,
      // 0 means no limit (Temporal's default when the field is absent).
      ...(policy.maximumAttempts > 0 ? { maximumAttempts: policy.maximumAttempts } : {}),
      nonRetryableErrorTypes: [...BUSINESS_FAILURES],
    },
  };
}
