import retry from 'retry';

export interface Backoff {
  /** Delay before the first retry. */
  initialMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  /** Growth per attempt (2 doubles). */
  factor?: number;
}

/**
 * The delay before retry number `attempt` (1 = the first retry): exponential, capped, from the
 * same `retry` library that p-retry uses, so loops that cannot be a single p-retry call (a
 * subscription that retries one event forever, a supervisor restarting a process) back off by the
 * same rule as those that can.
 */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  return retry.createTimeout(Math.max(0, attempt - 1), {
    minTimeout: backoff.initialMs,
    maxTimeout: backoff.maxMs,
    factor: backoff.factor ?? 2,
    randomize: false,
  });
}
