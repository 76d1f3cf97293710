import { z } from 'zod';
import { parseDuration } from './duration';

/**
 * The one place that reads the environment. Every process (start script, worker, API, tests)
 * calls `loadConfig()` and gets the same typed, validated view with the same defaults.
 */

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`);

const duration = (name: string) =>
  z.string().transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 500ms, 30s, 5m, 24h or a number of milliseconds` });
      return z.NEVER;
    }
    return ms;
  });

const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be an integer`).positive(`${name} must be positive`);

const hostPort = /^[A-Za-z0-9_.\-[\]:]+:\d{1,5}$/;

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** HTTP port of the Express API. */
  PORT: port('PORT').default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** An existing Temporal frontend (host:port). When set, no embedded server is started. */
  TEMPORAL_ADDRESS: z.string().regex(hostPort, 'TEMPORAL_ADDRESS must look like host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('orders'),
  /** A `temporal` CLI binary to run the embedded dev server with. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  /** Ports of the embedded Temporal dev server (frontend and Web UI). */
  TEMPORAL_PORT: port('TEMPORAL_PORT').default(7233),
  TEMPORAL_UI_PORT: port('TEMPORAL_UI_PORT').default(8233),

  /** An existing MongoDB deployment with change streams (a replica set). When set, nothing is started. */
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'MONGODB_URI must start with mongodb:// or mongodb+srv://')
    .optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'MONGODB_DB must be a valid MongoDB database name')
    .default('orders_platform'),
  /** Port of the embedded MongoDB server started by `npm start`. */
  MONGODB_PORT: port('MONGODB_PORT').default(27017),

  /** Where `npm start` keeps the embedded servers' data (survives restarts). */
  DATA_DIR: z.string().min(1).default('data'),

  /** Orders whose total exceeds this many cents wait for an operator's approval before payment. */
  APPROVAL_THRESHOLD: z.coerce.number({ error: 'APPROVAL_THRESHOLD must be a number' }).int('APPROVAL_THRESHOLD must be an integer').min(0, 'APPROVAL_THRESHOLD must be >= 0').default(100_000),
  /** How long an order waits for approval before it is rejected and compensated. */
  APPROVAL_TIMEOUT: duration('APPROVAL_TIMEOUT').default(24 * 3_600_000),
  /**
   * Scales every saga retry interval and timeout (see config/saga.ts). 1 in production; tests use a
   * small factor so that "retries exhausted" takes seconds, not minutes.
   */
  SAGA_TIME_SCALE: z.coerce.number({ error: 'SAGA_TIME_SCALE must be a number' }).positive('SAGA_TIME_SCALE must be positive').max(100).default(1),
  /** Attempts of a compensation before it becomes a dead letter. */
  COMPENSATION_MAX_ATTEMPTS: positiveInt('COMPENSATION_MAX_ATTEMPTS').default(30),
  /** The worker's Prometheus endpoint (Temporal SDK metrics plus step durations and retries). 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number({ error: 'WORKER_METRICS_PORT must be a number' }).int().min(0).max(65535).default(9464),
  /** Worker metrics endpoints that GET /metrics on the API appends to its own (comma-separated URLs). */
  WORKER_METRICS_URLS: z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.url('WORKER_METRICS_URLS must be comma-separated http(s) URLs')))
    .default(['http://127.0.0.1:9464/metrics']),
  /** Tracing through the Temporal SDK's OpenTelemetry interceptors: off, console, or otlp (OTEL_EXPORTER_OTLP_ENDPOINT). */
  TRACING: z.enum(['off', 'console', 'otlp']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url('OTEL_EXPORTER_OTLP_ENDPOINT must be a URL').optional(),
  /** Fault injection endpoints (tests and demos). Always refused when NODE_ENV=production. */
  FAULT_INJECTION: z.enum(['on', 'off']).default('on'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Empty strings count as unset, as shells often export them. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '');
        const got = key && input[key] !== undefined ? ` (got "${input[key]}")` : '';
        const message = issue.message.startsWith(key) ? issue.message : `${key}: ${issue.message}`;
        return `${message}${got}`;
      }),
    );
  }
  return parsed.data;
}

/** Where the worker and the API find Temporal when no address was given: the embedded dev server. */
export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
}

export function mongodbUri(config: Config): string {
  return config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.MONGODB_PORT}/?directConnection=true`;
}
