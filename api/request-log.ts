import type { RequestHandler } from 'express';
import type { Logger } from '../infra/logger';
import { correlationIdOf } from './correlation';

/**
 * One structured line per request with its correlation id, which the API also hands to the saga
 * (and so to every activity log line and event of the order). The id is echoed back to the caller.
 */
export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const correlationId = correlationIdOf(req);
    // Later handlers read the same id from the header.
    req.headers['x-correlation-id'] = correlationId;
    res.setHeader('X-Correlation-Id', correlationId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log.info(
        { correlationId, method: req.method, path: req.path, status: res.statusCode, ms: Number((process.hrtime.bigint() - started) / 1_000_000n) },
        'request',
      );
    });
    next();
  };
}
