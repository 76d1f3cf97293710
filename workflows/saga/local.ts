import { RetryState } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { BUSINESS_FAILURES } from '../../domain/orders/saga';
import type { OrderActivities } from '../../activities/order';
import type { ServiceName, StepPolicy } from '../../domain/orders/saga-settings';
import { activityOptions } from '../policies';
import { isExhaustedTechnicalFailure } from './failures';
import { LOCAL_STEPS_OF_ORDER_STEPS_PATCH } from '../legacy/local-order-steps';

/**
 * The steps that run in the worker as local activities. createOrder: one conditional append to the
 * order's stream, no cancel point inside it, idempotent by event id (a second run after a worker
 * died before the marker was recorded changes nothing), and undone by a compensation pushed before
 * it runs. A local activity's effect happens before the workflow task that decided to run it is
 * recorded; if that task is lost (a worker crash, a timeout, a completion the server refuses
 * because a message arrived meanwhile), the saga replays it with the messages of the next task
 * handled first, and may decide otherwise. For createOrder that is harmless: whatever a replayed
 * saga decides, cancelOrder undoes an order it created. completeOrder stays a normal activity: a
 * cancel replayed ahead of the point of no return would undo an order whose completion was already
 * written, so crossing that point must be recorded before completeOrder runs.
 */
export const LOCAL_STEPS = ['createOrder'] as const satisfies readonly (keyof OrderActivities)[];
export { LOCAL_STEPS_OF_ORDER_STEPS_PATCH };
export type LocalStep = (typeof LOCAL_STEPS_OF_ORDER_STEPS_PATCH)[number];
/** The service that carries the local steps, whose retry policy they run with. */
export const LOCAL_SERVICE = 'order' satisfies ServiceName;

/**
 * A service's retry policy as local activity options: the same timeout, backoff and attempts.
 * Only the first retry waits in the worker (`localRetryThreshold` is the first interval); longer
 * backoffs are server timers, so between attempts the workflow task completes: queries, cancels
 * and address changes are answered as they are while a normal activity waits to retry, and a
 * worker that takes over continues from the recorded attempt.
 */
export function localActivityOptions(policy: StepPolicy): LocalActivityOptions {
  const { startToCloseTimeout, cancellationType, retry } = activityOptions(policy);
  return { startToCloseTimeout, cancellationType, localRetryThreshold: policy.initialIntervalMs, retry };
}

/**
 * Runs a step as a local activity. Its last failure fails the step as a normal activity's would:
 * as an ActivityFailure with its retry state, so compensation and dead letters read it the same way.
 * `handover` (completeOrder of sagas recording SAGA_LOCAL_ORDER_STEPS): once the local attempts ran
 * out on a technical failure, the step goes on as that normal activity.
 */
export async function runLocally<R>(step: LocalStep, local: () => Promise<R>, handover?: () => Promise<R>): Promise<R> {
  try {
    return await local();
  } catch (thrown) {
    const err = asActivityFailure(step, thrown);
    if (handover === undefined || err instanceof CancelledFailure || !isExhaustedTechnicalFailure(err)) throw err;
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
