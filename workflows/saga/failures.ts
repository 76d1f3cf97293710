import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/workflow';
import { BUSINESS_FAILURES } from '../../domain/orders/saga';

/** The innermost message: "insufficient funds: balance 500, needed 900" rather than "Activity task failed". */
export function describeFailure(err: unknown): string {
  let current: unknown = err;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** A technical failure whose retries ran out (or timed out): that is what becomes a dead letter. */
export function isExhaustedTechnicalFailure(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && (BUSINESS_FAILURES as readonly string[]).includes(cause.type ?? ''))
    return false;
  if (cause instanceof ApplicationFailure && cause.nonRetryable) return false;
  return true;
}

/**
 * An outcome the saga answers by compensating: a step that failed (business rule or exhausted
 * retries), a rule the workflow itself enforces (approval rejected or timed out), or a cancel.
 * Anything else (a TypeError, a bad cast) is a bug in workflow code: it must fail the workflow task
 * so the code can be fixed and the saga replayed, never be mistaken for a business outcome.
 */
export function isSagaOutcome(err: unknown): boolean {
  return err instanceof ActivityFailure || err instanceof ApplicationFailure || err instanceof CancelledFailure;
}

/**
 * How many attempts a failed activity made, when the failure says so: exhausted retries made
 * exactly the policy's maximum. A non-retryable failure or a timeout does not carry its attempt
 * number, so that is recorded as unknown (null) rather than guessed.
 */
export function attemptsMade(err: unknown, maximumAttempts: number): { attempts: number | null; retryState: string } {
  const retryState = err instanceof ActivityFailure ? (err.retryState ?? 'UNKNOWN') : 'UNKNOWN';
  return {
    attempts: retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED && maximumAttempts > 0 ? maximumAttempts : null,
    retryState,
  };
}
