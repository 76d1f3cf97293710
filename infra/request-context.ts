import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while serving one request should carry. */
export interface RequestContext {
  correlationId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` (and everything it awaits or schedules) inside a request's context, so code far from
 * the HTTP layer (a service, the event store) logs with the request's correlation id without
 * having it passed down.
 */
export const withRequestContext = <T>(context: RequestContext, fn: () => T): T => storage.run(context, fn);

/** The context of the request being served, if any. */
export const requestContext = (): RequestContext | undefined => storage.getStore();
