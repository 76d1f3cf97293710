import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../infra/logger';
import { withRequestContext } from '../infra/request-context';
import { correlationIdOf } from './correlation';

/**
 * One structured line per request (pino-http) with its correlation id, which the API also hands
 * to the saga (and so to every activity log line and event of the order). The id is echoed back
 * to the caller, and the rest of the request runs in its context (infra/request-context.ts): any
 * line logged while serving it carries the id too.
 */
/** A customer's id is personal data: request lines name the route, not the customer. */
export const loggedPath = (path: string | undefined) => path?.replace(/^\/customers\/[^/]+/, '/customers/:customerId');

export function requestLog(log: Logger): RequestHandler {
  const http = pinoHttp({
    logger: log,
    genReqId: (req) => req.headers['x-correlation-id'] as string,
    // The request's own fields, flat, under the message 'request' (what dashboards and tests read).
    quietReqLogger: true,
    quietResLogger: true,
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customAttributeKeys: { reqId: 'correlationId', responseTime: 'ms' },
    serializers: { req: () => undefined, res: () => undefined },
    customProps: (req, res) => ({
      method: req.method,
      path: loggedPath((req as { path?: string }).path ?? req.url?.split('?')[0]),
      status: res.statusCode,
    }),
    // A 4xx or 5xx is the answer the API chose and logged with its reason; the line stays info.
    customLogLevel: () => 'info',
  });
  return (req, res, next) => {
    const correlationId = correlationIdOf(req);
    // Later handlers read the same id from the header.
    req.headers['x-correlation-id'] = correlationId;
    res.setHeader('X-Correlation-Id', correlationId);
    withRequestContext({ correlationId }, () => http(req, res, next));
  };
}
