/**
 * The API's typed HTTP client, for scripts, benchmarks and tests: openapi-fetch over the types
 * generated from the OpenAPI document (schema.d.ts, `npm run client:generate`). Paths, parameters,
 * bodies and answers are checked against the same zod contract the routes validate with, so a
 * change to the API that its callers have not followed fails the typecheck, not a run.
 *
 * It imports nothing of the server: a caller of the API needs only this folder.
 */
import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths } from './schema';
export { retryingFetch, type RetryOptions } from './retrying-fetch';

export type ApiClient = Client<paths>;
export type ApiSchemas = components['schemas'];

/** The JSON body of an operation's answer: `Answer<'/orders/{orderId}/saga', 'get', 200>`. */
export type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: infer R;
}
  ? S extends keyof R
    ? R[S] extends { content: { 'application/json': infer B } }
      ? B
      : never
    : never
  : never;

export interface ApiClientOptions {
  /** Where the API listens, e.g. http://127.0.0.1:3000 (no trailing path). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` on every request (production asks for one; development does not). */
  apiKey?: string;
  /** Headers sent on every request. */
  headers?: Record<string, string>;
  /** The fetch to send with: `retryingFetch(...)` for a caller that rides out restarts and outages. */
  fetch?: (request: Request) => Promise<Response>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: {
      ...options.headers,
      ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    },
    // Resolved at each call rather than bound once, so a test that stubs the global fetch still sees the client's requests.
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
  });
}

/**
 * The Idempotency-Key header of a command, as the `params.header` of a call: a retried command
 * with the same key takes effect once. Without a key, a fresh one (a new command).
 */
export function idempotencyKey(key: string = randomUUID()): { 'idempotency-key': string } {
  return { 'idempotency-key': key };
}

/**
 * The body of a successful answer (2xx), or an Error naming the request, its status and the API's
 * error body: for callers to whom anything else is a failure.
 */
export async function dataOf<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  throw new Error(`${new URL(response.url).pathname} answered ${response.status}: ${JSON.stringify(error ?? data)}`);
}
