import pRetry from 'p-retry';
/**
 * The drill's HTTP client behaves like a careful real client: it retries on network errors, 5xx,
 * 429 and 409 idempotency_in_progress with backoff (the API may be restarting, or a server may be down), and relies on the API's
 * idempotency (Idempotency-Key) so a retried command never takes effect twice.
 */
export async function call(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, deadlineMs = 180_000) {
  const started = Date.now();
  try {
    return await pRetry(
      async () => {
        const res = await fetch(`${baseUrl}${path}`, {
          method,
          headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        }).catch((err: Error) => {
          // Node's fetch reports a refused connection as a TypeError, which p-retry would not retry.
          throw new Error(`${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}`);
        });
        const text = await res.text();
        // 409 idempotency_in_progress: the first request with this key is still running (or its
        // API died mid-way and the claim's lease has not run out): retry, as its Retry-After says.
        const inProgress = res.status === 409 && text.includes('"idempotency_in_progress"');
        if (res.status < 500 && res.status !== 429 && !inProgress) return { status: res.status, body: text ? JSON.parse(text) : undefined };
        throw new Error(`${res.status} ${text.slice(0, 200)}`);
      },
      // Network errors, 5xx, 429 and in-progress: 100 ms doubling to 2 s, until the deadline.
      // `forever` with a time limit (a huge `retries` would make the retry library precompute that many delays).
      { forever: true, retries: 5, minTimeout: 100, factor: 2, maxTimeout: 2_000, maxRetryTime: deadlineMs },
    );
  } catch (err) {
    throw new Error(`${method} ${path} kept failing for ${Date.now() - started} ms: ${(err as Error).message}`);
  }
}
