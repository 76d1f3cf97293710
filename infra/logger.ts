import pino from 'pino';
import { loadConfig } from '../config';
import { requestContext } from './request-context';

/** 13-19 digits, optionally grouped by spaces or dashes: what a payment card number looks like. */
const CARD_LIKE = /\b(?:\d[ -]?){12,18}\d\b/g;

/** Keeps the last four digits of anything card-like, so logs never hold a full card number. */
export function maskCardLike(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return value.replace(CARD_LIKE, (m) => `****${m.replace(/\D/g, '').slice(-4)}`);
  if (!value || typeof value !== 'object' || seen.has(value)) return value;
  // Plain data only: class instances (dates, errors, HTTP requests handed to pino-http) are left to
  // their serializers, and a structure that refers to itself is walked once.
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  seen.add(value);
  const masked = Array.isArray(value)
    ? value.map((v) => maskCardLike(v, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskCardLike(v, seen)]));
  // Only the path from the root counts as "seen": the same object met again elsewhere is masked too.
  seen.delete(value);
  return masked;
}

/**
 * Structured JSON logs for every process; `name` says which process wrote the line. Secrets
 * (authorization headers, API keys, passwords, payload keys) are redacted and card-like numbers
 * masked before anything is written.
 */
export function createLogger(
  name: string,
  level: string = loadConfig().LOG_LEVEL,
  destination?: pino.DestinationStream,
) {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        'req.headers.authorization',
        '*.authorization',
        'apiKey',
        '*.apiKey',
        'password',
        '*.password',
        'PAYLOAD_KEYS',
        'API_KEYS',
      ],
      censor: '[redacted]',
    },
    formatters: { log: (obj) => maskCardLike(obj) as Record<string, unknown> },
    // Inside an API request, every line carries its correlation id (unless the line sets its own).
    mixin: () => {
      const context = requestContext();
      return context ? { correlationId: context.correlationId } : {};
    },
    hooks: {
      logMethod(args, method) {
        // The message string too, not only the fields.
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? (maskCardLike(a) as string) : a)) as Parameters<typeof method>,
        );
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = ReturnType<typeof createLogger>;
