import { ActivityFailure, ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { DeadLetterActivities } from '../activities/dead-letters';
import type { OrderActivities } from '../activities/order';
import { REDRIVE_CLAIMS_AND_SETTLES } from './patches';
import { activityOptions } from './policies';
import type { StepActivities } from './saga/activities';
import { describeFailure } from './saga/failures';
import type { CompensationStep } from '../domain/orders/saga';
import type { StepPolicy } from '../domain/orders/saga-settings';

type Compensations = Pick<StepActivities, CompensationStep>;

/** The budget redrives had before they took the saga's compensation policy as an argument. */
const FIRST_POLICY: StepPolicy = {
  startToCloseTimeoutMs: 15_000,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  maximumAttempts: 10,
};
/** Dead-letter bookkeeping has nowhere else to go: retried until the store answers. */
const BOOKKEEPING: StepPolicy = { ...FIRST_POLICY, maximumAttempts: 0 };

/**
 * Runs a compensation that had become a dead letter again, with the arguments it was first called
 * with (every compensation is idempotent, so a repeat is harmless), and records the outcome on the
 * dead letter: `redriven`, or back to `open` with the new error (and `retryable: false` when a
 * business rule refused it, so nobody redrives it blindly again).
 *
 * Started by the API under a workflow id derived from the dead letter and its redrive count, so a
 * repeated request starts nothing new; the claim (open -> redrive-requested) happens in here,
 * durably, so a crash between request and start can never leave a letter claimed and idle.
 */
export async function redriveCompensation(
  deadLetterId: string,
  step: CompensationStep,
  args: object,
  policy?: StepPolicy,
): Promise<'redriven' | 'open' | 'skipped'> {
  const current = patched(REDRIVE_CLAIMS_AND_SETTLES);
  const compensations = proxyActivities<Compensations>(
    activityOptions(current ? (policy ?? FIRST_POLICY) : FIRST_POLICY),
  );
  const deadLetters = proxyActivities<DeadLetterActivities>(
    current ? activityOptions(BOOKKEEPING) : { startToCloseTimeout: '10 seconds' },
  );
  const orders = proxyActivities<Pick<OrderActivities, 'compensationRedriven'>>(activityOptions(BOOKKEEPING));

  if (current && !(await deadLetters.claimDeadLetter(deadLetterId))) return 'skipped';
  try {
    await compensations[step](args as never);
  } catch (err) {
    if (!current) {
      await deadLetters.resolveDeadLetter(
        deadLetterId,
        'open',
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
      );
      return 'open';
    }
    if (!(err instanceof ActivityFailure)) throw err;
    const business = err.cause instanceof ApplicationFailure && err.cause.nonRetryable;
    await deadLetters.resolveDeadLetter(deadLetterId, 'open', describeFailure(err), !business);
    return 'open';
  }
  await deadLetters.resolveDeadLetter(deadLetterId, 'redriven');
  // The order shows CANCELLED once nothing is left open (the closed saga keeps its last status).
  const orderId = (args as { orderId?: unknown }).orderId;
  if (current && typeof orderId === 'string') {
    await orders.compensationRedriven({
      orderId,
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a correlation id arrives as a string; String only guards an odd caller
      correlationId: String((args as { correlationId?: unknown }).correlationId ?? orderId),
      step,
    });
  }
  return 'redriven';
}
