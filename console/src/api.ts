/**
 * Every call the console makes goes through here: the API's own policed routes, with the key the
 * operator typed (sessionStorage: it lasts as long as the tab) as `Authorization: Bearer`. An
 * answer that is not a success becomes an ApiError carrying the API's `{ error: { code, message } }`,
 * which the pages show as it is: the console says what the API said, nothing more and nothing less.
 */
const KEY_STORAGE = 'operator-console.api-key';

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Listeners told when the API refuses the key, so the whole console can ask for another. */
const refusedListeners = new Set<(message: string) => void>();
export function onKeyRefused(listener: (message: string) => void): () => void {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
}

export function authHeaders(): Record<string, string> {
  const key = apiKey.get();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A path segment from user input: encoded, so an id with a slash cannot reach another route. */
export const seg = (value: string) => encodeURIComponent(value);

export async function call<T>(
  method: 'GET' | 'POST' | 'DELETE' | 'PUT',
  path: string,
  options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...authHeaders() };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (err) {
    throw new ApiError(0, 'unreachable', `The API could not be reached (${String(err)})`, null);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const message = error?.message ?? `${method} ${path} answered ${response.status}`;
    const failure = new ApiError(response.status, error?.code ?? `http_${response.status}`, message, body);
    if (response.status === 401) for (const listener of refusedListeners) listener(message);
    throw failure;
  }
  return body as T;
}

export const get = <T>(path: string, query?: Query) => call<T>('GET', path, { query });
export const post = <T>(path: string, body: unknown = {}, headers?: Record<string, string>) =>
  call<T>('POST', path, { body, ...(headers && { headers }) });
export const del = <T>(path: string) => call<T>('DELETE', path);

/**
 * An `Idempotency-Key` for one thing the operator asked (one click): a command sent again with it is
 * answered as the first time, never applied twice. Random bytes rather than `crypto.randomUUID`,
 * which browsers offer only to pages served over HTTPS or from localhost.
 */
export function idempotencyKey(): { 'idempotency-key': string } {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return { 'idempotency-key': `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}` };
}

/** What the pages show for a failed call: the API's message, and for the usual cases what it means. */
export function describeError(err: unknown, what?: string): string {
  if (err instanceof ApiError) {
    if (err.status === 401)
      return 'The API refused the key (expired, revoked or mistyped). Enter a valid API key above.';
    if (err.status === 403) return `This key may not do that: ${err.message}`;
    if (err.status === 404 && what)
      return `${what} was not found (or this key may not see it). The API said: ${err.message}`;
    if (err.status === 0) return err.message;
    return `${err.message} (HTTP ${err.status}, ${err.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}
