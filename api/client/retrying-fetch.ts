import pRetry from 'p-retry';

export interface RetryOptions {
  /** Give up (with the last failure) after this long; by default 180 s. */
  deadlineMs?: number;
  /** Each attempt's own time limit; by default 15 s. */
  attemptTimeoutMs?: number;
}

/**
 * A fetch for openapi-fetch that behaves like a careful real client: it retries on network
 * errors, 5xx, 429 and 409 idempotency_in_progress with backoff (the API may be restarting, or a
 * server may be down), and relies on the API's idempotency (Idempotency-Key) so that a retried
 * command never takes effect twice. Any other answer, a 4xx included, is returned as it is.
 */
export function retryingFetch(options: RetryOptions = {}): (request: Request) => Promise<Response> {
  const deadlineMs = options.deadlineMs ?? 180_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15_000;
  return async (request) => {
    const started = Date.now();
    try {
      return await pRetry(
        async () => {
          // A Request's body can be read once: each attempt sends a copy.
          const res = await fetch(request.clone(), { signal: AbortSignal.timeout(attemptTimeoutMs) }).catch(
            (err: Error) => {
              // Node's fetch reports a refused connection as a TypeError, which p-retry would not retry.
              throw new Error(
                `${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}`,
              );
            },
          );
          if (res.status < 500 && res.status !== 429 && res.status !== 409) return res;
          const text = await res.clone().text();
          // 409 idempotency_in_progress: the first request with this key is still running (or its
          // API died mid-way and the claim's lease has not run out): retry, as its Retry-After says.
          if (res.status === 409 && !text.includes('"idempotency_in_progress"')) return res;
          throw new Error(`${res.status} ${text.slice(0, 200)}`);
        },
        // 100 ms doubling to 2 s, until the deadline. `forever` with a time limit (a huge `retries`
        // would make the retry library precompute that many delays).
        { forever: true, retries: 5, minTimeout: 100, factor: 2, maxTimeout: 2_000, maxRetryTime: deadlineMs },
      );
    } catch (err) {
      const path = new URL(request.url).pathname;
      throw new Error(
        `${request.method} ${path} kept failing for ${Date.now() - started} ms: ${(err as Error).message}`,
      );
    }
  };
}
