import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';

/** An error the API answers with a given status and a stable, machine-readable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

/**
 * Turns a zod failure into the details array: one entry per bad field, named by its path (a
 * problem with the part as a whole is named by the part). The message names the part once, then
 * the field when there is one: `body: Invalid input: …`, `body: items.0.quantity: Too small: …`.
 */
export function validationError(err: ZodError, where: 'body' | 'query' | 'params' | 'headers'): HttpError {
  const details = err.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : where,
    message: issue.message,
  }));
  const first = err.issues[0];
  const message = first
    ? `${where}: ${first.path.length ? `${first.path.join('.')}: ` : ''}${first.message}`
    : `invalid ${where}`;
  return new HttpError(400, 'validation_failed', message, details);
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'route_not_found', `No route for ${req.method} ${req.path}`));
};

/**
 * The one place errors become HTTP answers, always as { error: { code, message, details } }.
 * Anything unexpected is a 500 with no internals leaked; bad input never gets here as a 500
 * because body-parser and zod errors are mapped first.
 */
export function errorHandler(log: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let http: HttpError;
    if (err instanceof HttpError) http = err;
    else if (err instanceof ZodError) http = validationError(err, 'body');
    else if (isBodyParserError(err)) http = bodyParserError(err);
    else if (isUnavailable(err)) {
      // A server outage (MongoDB or Temporal unreachable) is not a bug: tell the client to retry.
      res.setHeader('Retry-After', '1');
      http = new HttpError(503, 'service_unavailable', 'A backing server is unavailable; retry shortly');
    } else {
      log.error({ err }, 'unhandled error');
      http = new HttpError(500, 'internal_error', 'Internal server error');
    }
    res.status(http.status).json({ error: { code: http.code, message: http.message, details: http.details ?? null } });
  };
}

interface BodyParserError {
  type: string;
  status: number;
  message: string;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === 'object' &&
    err !== null &&
    'type' in err &&
    'status' in err &&
    typeof (err as BodyParserError).status === 'number'
  );
}

function bodyParserError(err: BodyParserError): HttpError {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed_json', 'Request body is not valid JSON');
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'Request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', err.message);
    default:
      return new HttpError(err.status >= 400 && err.status < 500 ? err.status : 400, 'bad_request', err.message);
  }
}

/** MongoDB or Temporal could not be reached (network, server selection, gRPC UNAVAILABLE). */
function isUnavailable(err: unknown): boolean {
  for (
    let e = err as { name?: string; code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (
      typeof e.name === 'string' &&
      /^Mongo(ServerSelection|Network|NetworkTimeout|TopologyClosed|NotConnected)Error$/.test(e.name)
    )
      return true;
    if (e.name === 'ServiceError' || e.name === 'ConnectionError') return true;
    if (e.code === 14 || e.code === 4) return true; // gRPC UNAVAILABLE, DEADLINE_EXCEEDED
  }
  return false;
}
