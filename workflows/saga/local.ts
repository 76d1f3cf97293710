import { RetryState } from '@temporalio/common';
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { BUSINESS_FAILURES } from '../../domain/orders/saga';
import type { OrderActivities } from '../../activities/order';
import type { StepPolicy } from '../../domain/orders/saga-settings';
import { activityOptions } from '../policies';
import { isExhaustedTechnicalFailure } from './failures';

/**
 * The steps that run in the worker as local activities: one conditional append to the order's
 * stream each, no cancel point inside them, and idempotent by event id, so a second run after a
 * worker died before the result was recorded changes nothing.
 */
export const LOCAL_STEPS = ['createOrder', 'completeOrder'] as const satisfies readonly (keyof OrderActivities)[];
export type LocalStep = (typeof LOCAL_STEPS)[number];
export const isLocalStep = (step: string): step is LocalStep => (LOCAL_STEPS as readonly string[]).includes(step);

/** In-worker attempts of a local step whose policy never gives up, before it goes on as a normal activity. */
export const LOCAL_ATTEMPTS_WITHOUT_LIMIT = 3;

/**
 * A service's retry policy as local activity options: the same timeout, backoff and attempts.
 * - Only the first retry waits in the worker (`localRetryThreshold` = the first interval); longer
 *   backoffs are server timers, so between attempts the workflow task completes and queries,
 *   cancels and address changes are answered as they are while a normal activity waits to retry.
 * - A policy without an attempt limit gets LOCAL_ATTEMPTS_WITHOUT_LIMIT here: a local activity
 *   cannot be paused or inspected on the server, and each of its retries adds events, so a long
 *   outage is waited out by the normal activity it hands over to (`inWorkerFirst`).
 */
export function localActivityOptions(policy: StepPolicy): LocalActivityOptions {
  const { startToCloseTimeout, cancellationType, retry } = activityOptions(policy);
  return {
    startToCloseTimeout,
    cancellationType: cancellationType ?? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    localRetryThreshold: policy.initialIntervalMs,
    retry: {
      ...retry,
      maximumAttempts: policy.maximumAttempts > 0 ? policy.maximumAttempts : LOCAL_ATTEMPTS_WITHOUT_LIMIT,
    },
  };
}

/**
 * Runs a step as a local activity. When `handover` is given (its policy retries without limit) and
 * the local attempts ran out on a technical failure, the step goes on as that normal activity,
 * which retries on the server as long as it takes. A business failure, a cancel, or a local step
 * with a limited policy that ran out fails the step as a normal activity would: as an
 * ActivityFailure with its retry state, so compensation and dead letters read it the same way.
 */
export async function inWorkerFirst<R>(
  step: LocalStep,
  local: () => Promise<R>,
  handover?: () => Promise<R>,
): Promise<R> {
  try {
    return await local();
  } catch (thrown) {
    const err = asActivityFailure(step, thrown);
    const handsOver =
      handover !== undefined &&
      err instanceof ActivityFailure &&
      !(err.cause instanceof CancelledFailure) &&
      isExhaustedTechnicalFailure(err);
    if (!handsOver) throw err;
    return handover();
  }
}

/**
 * A local activity's last failure reaches the workflow as the activity's own error (an
 * ApplicationFailure, or a TimeoutFailure), where a normal activity's comes wrapped in an
 * ActivityFailure that says why its retries ended. Wrapped here the same way; a cancel stays as it is.
 */
function asActivityFailure(step: LocalStep, err: unknown): unknown {
  if (err instanceof ActivityFailure || err instanceof CancelledFailure) return err;
  if (!(err instanceof ApplicationFailure) && !(err instanceof TimeoutFailure)) return err;
  const refused =
    err instanceof ApplicationFailure &&
    (err.nonRetryable || (BUSINESS_FAILURES as readonly string[]).includes(err.type ?? ''));
  // No schedule-to-close timeout is set: a retryable failure (a timeout too) ends the local attempts only by their number.
  const retryState = refused ? RetryState.NON_RETRYABLE_FAILURE : RetryState.MAXIMUM_ATTEMPTS_REACHED;
  return new ActivityFailure('Local activity task failed', step, undefined, retryState, undefined, err);
}
