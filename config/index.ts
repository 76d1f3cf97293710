import { temporalProfile } from './temporal-profile';
import { z } from 'zod';
import { parseDuration } from './duration';
import { SETTLE_POLICIES } from '../domain/orders/settlement';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../domain/breakers';

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
      ctx.addIssue({
        code: 'custom',
        message: `${name} must be a duration like 500ms, 30s, 5m, 24h or a number of milliseconds`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A port, or 0 for "do not listen". */
const optionalPort = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(0, `${name} must be between 0 (off) and 65535`)
    .max(65535, `${name} must be between 0 (off) and 65535`);

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .positive(`${name} must be positive`);

const hostPort = /^[A-Za-z0-9_.\-[\]:]+:\d{1,5}$/;

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** HTTP port of the Express API. */
  PORT: port('PORT').default(3000),
  /**
   * The interface the API listens on. Unset: 127.0.0.1 in development (where every caller is an
   * operator, so the API must not be reachable from the network) and 0.0.0.0 in production.
   */
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** An existing Temporal frontend (host:port). When set, no embedded server is started. */
  TEMPORAL_ADDRESS: z.string().regex(hostPort, 'TEMPORAL_ADDRESS must look like host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TASK_QUEUE: z.string().min(1).default('orders'),
  /**
   * Worker Versioning (see docs/workflow-changes.md): workers run as versions of this
   * Worker Deployment, and the order saga is Pinned to the version it started on.
   */
  WORKER_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[\w.-]{1,100}$/, 'WORKER_DEPLOYMENT_NAME is letters, digits, . _ -')
    .default('order-platform'),
  /** The worker's build id. Unset: <package version>-<hash of the workflow code> (workers/build-id.ts). */
  WORKER_BUILD_ID: z
    .string()
    .regex(/^[\w.-]{1,100}$/, 'WORKER_BUILD_ID is letters, digits, . _ -')
    .optional(),
  /**
   * Whether a worker makes its own build the deployment's current version once it polls. Unset:
   * yes outside production (a restart after an edit must not strand new sagas on a build with no
   * worker); no in production, where a build becomes current after `npm run deploy:check -- --promote`.
   */
  WORKER_SET_CURRENT_VERSION: z.enum(['on', 'first', 'off']).optional(),
  /**
   * How many activity tasks and workflow tasks one worker runs at once. Unset: the SDK's defaults
   * (hundreds), so tasks seldom wait in the queue. A cap makes them wait there, where task-queue
   * priority and fairness decide the order (the fairness bench and test set one).
   */
  WORKER_MAX_ACTIVITY_SLOTS: positiveInt('WORKER_MAX_ACTIVITY_SLOTS').optional(),
  WORKER_MAX_WORKFLOW_TASK_SLOTS: positiveInt('WORKER_MAX_WORKFLOW_TASK_SLOTS').optional(),
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
  /**
   * How many oplog entries the mongo-java-server stand-in keeps (0: all). A real replica set's oplog
   * is capped; so is the stand-in's, and a change stream resumed from before its oldest entry fails
   * with ChangeStreamHistoryLost as on a real server.
   */
  MONGODB_STANDIN_OPLOG_ENTRIES: z.coerce
    .number({ error: 'MONGODB_STANDIN_OPLOG_ENTRIES must be a number' })
    .int('MONGODB_STANDIN_OPLOG_ENTRIES must be an integer')
    .min(0, 'MONGODB_STANDIN_OPLOG_ENTRIES must be >= 0')
    .default(1000),
  /**
   * How long a cursor of the mongo-java-server stand-in may go unused before it is killed,
   * like mongod's cursorTimeoutMillis (10 minutes by default); a getMore on it then fails with
   * CursorNotFound (43).
   */
  MONGODB_STANDIN_CURSOR_TIMEOUT: duration('MONGODB_STANDIN_CURSOR_TIMEOUT').default(600_000),
  /**
   * The heap, in MiB, of the mongo-java-server stand-in when it keeps its data on disk (`npm
   * start`): fixed and touched at start, as a database's cache is sized once, so its memory stays
   * where it starts. In memory (the tests), the data lives in the heap, which is left to grow.
   */
  MONGODB_STANDIN_HEAP_MB: z.coerce
    .number({ error: 'MONGODB_STANDIN_HEAP_MB must be a number' })
    .int('MONGODB_STANDIN_HEAP_MB must be an integer')
    .min(64, 'MONGODB_STANDIN_HEAP_MB must be >= 64')
    .default(512),

  /** Where `npm start` keeps the embedded servers' data (survives restarts). */
  DATA_DIR: z.string().min(1).default('data'),

  /** Orders whose total exceeds this many cents wait for an operator's approval before payment. */
  APPROVAL_THRESHOLD: z.coerce
    .number({ error: 'APPROVAL_THRESHOLD must be a number' })
    .int('APPROVAL_THRESHOLD must be an integer')
    .min(0, 'APPROVAL_THRESHOLD must be >= 0')
    .default(100_000),
  /** How long an order waits for approval before it is rejected and compensated. */
  APPROVAL_TIMEOUT: duration('APPROVAL_TIMEOUT').default(24 * 3_600_000),
  /**
   * How long a saga waits in NEEDS_ATTENTION for an operator's repair (retry, correct, compensate)
   * before it compensates by itself. A day: long enough to reach the customer, short enough that
   * the stock and the money held for the order do not stay held for good.
   */
  REPAIR_WAIT_TIMEOUT: duration('REPAIR_WAIT_TIMEOUT').default(24 * 3_600_000),
  /**
   * Scales every saga retry interval and timeout (see config/saga.ts). 1 in production; tests use a
   * small factor so that "retries exhausted" takes seconds, not minutes.
   */
  SAGA_TIME_SCALE: z.coerce
    .number({ error: 'SAGA_TIME_SCALE must be a number' })
    .positive('SAGA_TIME_SCALE must be positive')
    .max(100)
    .default(1),
  /** Attempts of a compensation before it becomes a dead letter. */
  COMPENSATION_MAX_ATTEMPTS: positiveInt('COMPENSATION_MAX_ATTEMPTS').default(30),
  /** The worker's Prometheus endpoint (Temporal SDK metrics plus step durations and retries). 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce
    .number({ error: 'WORKER_METRICS_PORT must be a number' })
    .int()
    .min(0)
    .max(65535)
    .default(9464),
  /**
   * The worker's and the projector's own health endpoints (GET /health, GET /health/ready), for
   * their supervisors and docker-compose to probe: neither process serves HTTP otherwise. 0 turns one off.
   */
  WORKER_HEALTH_PORT: optionalPort('WORKER_HEALTH_PORT').default(9466),
  PROJECTOR_HEALTH_PORT: optionalPort('PROJECTOR_HEALTH_PORT').default(9465),
  /**
   * A process that has not reached its servers (MongoDB; Temporal too for the worker and the API)
   * for this long exits with a log line saying so, and its supervisor restarts it
   * (infra/watchdog.ts). Longer than the outages the reliability drill rides out (an 11 s freeze).
   */
  WATCHDOG_TIMEOUT: duration('WATCHDOG_TIMEOUT')
    .pipe(z.number().min(1_000, 'WATCHDOG_TIMEOUT must be at least 1s: shorter outages are routine'))
    .default(60_000),
  /** Worker metrics endpoints that GET /metrics on the API appends to its own (comma-separated URLs). */
  WORKER_METRICS_URLS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url('WORKER_METRICS_URLS must be comma-separated http(s) URLs')))
    .default(['http://127.0.0.1:9464/metrics']),
  /** Tracing through the Temporal SDK's OpenTelemetry interceptors: off, console, or otlp (OTEL_EXPORTER_OTLP_ENDPOINT). */
  TRACING: z.enum(['off', 'console', 'otlp']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url('OTEL_EXPORTER_OTLP_ENDPOINT must be a URL').optional(),
  /**
   * API keys and their roles: `key:operator` or `key:client:<customerId>`, comma-separated.
   * Required in production, where every endpoint but /health needs one (Authorization: Bearer <key>
   * or X-API-Key). Operators may do everything; a client may place and read its own orders only.
   */
  API_KEYS: z
    .string()
    .transform((value, ctx) => {
      const keys = [];
      for (const entry of value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const [key, role, customerId] = entry.split(':');
        if (
          !key ||
          key.length < 16 ||
          (role !== 'operator' && role !== 'client') ||
          (role === 'client' && !customerId)
        ) {
          ctx.addIssue({
            code: 'custom',
            message: 'API_KEYS entries must be <key of 16+ chars>:operator or <key>:client:<customerId>',
          });
          return z.NEVER;
        }
        keys.push({ key, role, customerId: role === 'client' ? customerId! : undefined } as const);
      }
      return keys;
    })
    .optional(),
  /** Require API keys outside production too (production always requires them). */
  AUTH: z.enum(['on', 'off']).default('off'),
  /** Requests per minute per client address (0 = unlimited). */
  /**
   * A projection with work that has not moved for this long counts as stalled: GET /projections
   * says so, GET /health/read-side and the projector's /health/ready answer 503 naming it, and a
   * read that waits for a position on it answers 503 at once. The API's own readiness ignores it.
   */
  PROJECTION_STALL_AFTER: duration('PROJECTION_STALL_AFTER').default(10_000),
  /**
   * The longest a GET /live response runs before the server ends it (the caller resumes with
   * after=<last id>); a caller may ask for less with maxSeconds.
   */
  LIVE_FEED_MAX: duration('LIVE_FEED_MAX').default(5 * 60_000),
  /** How long an Idempotency-Key is remembered (its answer replayed); a TTL index removes it after that. */
  IDEMPOTENCY_RETENTION: duration('IDEMPOTENCY_RETENTION').default(24 * 3_600_000),
  /** How long a COMPLETED or CANCELLED order's reservation entries stay in its SKUs' stock documents (activities/stock-pruning.ts). */
  STOCK_PRUNE_AFTER: duration('STOCK_PRUNE_AFTER').default(10 * 60_000),
  /**
   * What happens to an order whose saga ended without an outcome (terminated, timed out, failed):
   * `compensate` undoes what its services recorded and cancels it (workflow settle-<orderId>);
   * `report` only lists it (GET /orders/unsettled, the unsettled_orders metric) for an operator;
   * `hold` marks it NEEDS_ATTENTION in settle-<orderId> and waits, at most REPAIR_WAIT_TIMEOUT, for
   * an operator's repair (POST /orders/:orderId/repair), then compensates.
   */
  SETTLE_POLICY: z.enum(SETTLE_POLICIES).default('compensate'),
  /** How often the worker sweeps for such orders; 0 turns the sweep off. */
  SETTLE_SWEEP_INTERVAL: z
    .string()
    .transform((value, ctx) => {
      const ms = value === '0' || value === 'off' ? 0 : parseDuration(value);
      if (ms === undefined || (ms !== 0 && ms < 100)) {
        ctx.addIssue({
          code: 'custom',
          message: 'SETTLE_SWEEP_INTERVAL must be 0 (off) or a duration of at least 100ms',
        });
        return z.NEVER;
      }
      return ms;
    })
    .default(60_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number({ error: 'RATE_LIMIT_PER_MINUTE must be a number' }).int().min(0).default(0),
  /**
   * Keys that encrypt Temporal payloads (AES-256-GCM): `<keyId>:<base64 32-byte key>`, comma-separated.
   * New payloads use PAYLOAD_KEY_ID (default: the first); older keys stay listed to read old histories.
   */
  PAYLOAD_KEYS: z
    .string()
    .transform((value, ctx) => {
      const keys = new Map<string, Buffer>();
      for (const entry of value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const [id, material] = entry.split(':');
        const key = material ? Buffer.from(material, 'base64') : Buffer.alloc(0);
        if (!id || !/^[\w.-]{1,32}$/.test(id) || key.length !== 32) {
          ctx.addIssue({
            code: 'custom',
            message: 'PAYLOAD_KEYS entries must be <keyId>:<base64 of 32 random bytes> (openssl rand -base64 32)',
          });
          return z.NEVER;
        }
        keys.set(id, key);
      }
      return keys;
    })
    .optional(),
  PAYLOAD_KEY_ID: z.string().min(1).optional(),
  /**
   * The blind-index secret (base64 of 32 random bytes): customers' data keys are found by an HMAC
   * of the customer id under it, so the key store never holds the id. A secret of its own, kept
   * when PAYLOAD_KEYS rotate; changing it loses the way from every customer to their key.
   */
  BLIND_INDEX_KEY: z
    .string()
    .transform((value, ctx) => {
      const key = Buffer.from(value, 'base64');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || key.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: 'BLIND_INDEX_KEY must be the base64 of 32 random bytes (openssl rand -base64 32)',
        });
        return z.NEVER;
      }
      return key;
    })
    .optional(),
  /** Origins allowed to call the codec endpoint from a browser (the Temporal Web UI). */
  CODEC_CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .default(['http://localhost:8233', 'http://127.0.0.1:8233', 'http://localhost:8080']),
  /** Fault injection (tests and demos). Always off when NODE_ENV=production; when off it costs nothing. */
  FAULT_INJECTION: z.enum(['on', 'off']).default('on'),
  /**
   * Circuit breakers on the saga's external steps (domain/breakers): `off` registers no breaker
   * on the worker, so an outage spends each step's retry budget and compensates, as without them.
   */
  BREAKERS: z.enum(['on', 'off']).default('on'),
  /** Calls are counted in windows of this length; BREAKER_FAILURE_RATIO of them failing opens the breaker. */
  BREAKER_WINDOW: duration('BREAKER_WINDOW').default(DEFAULT_BREAKER_SETTINGS.windowMs),
  /** Fewer calls than this in a window never open a breaker (one saga's retries alone do not). */
  BREAKER_MIN_CALLS: positiveInt('BREAKER_MIN_CALLS').default(DEFAULT_BREAKER_SETTINGS.minimumCalls),
  BREAKER_FAILURE_RATIO: z.coerce
    .number({ error: 'BREAKER_FAILURE_RATIO must be a number' })
    .gt(0, 'BREAKER_FAILURE_RATIO must be above 0')
    .max(1, 'BREAKER_FAILURE_RATIO must be at most 1')
    .default(DEFAULT_BREAKER_SETTINGS.failureRatio),
  /** How long an opened breaker waits before its first probe; doubled after each failed probe, at most BREAKER_MAX_OPEN. */
  BREAKER_OPEN: duration('BREAKER_OPEN').default(DEFAULT_BREAKER_SETTINGS.openMs),
  BREAKER_MAX_OPEN: duration('BREAKER_MAX_OPEN').default(DEFAULT_BREAKER_SETTINGS.maxOpenMs),
  /** A probe that reports nothing within this is handed to another waiting saga. */
  BREAKER_PROBE_TIMEOUT: duration('BREAKER_PROBE_TIMEOUT').default(DEFAULT_BREAKER_SETTINGS.probeTimeoutMs),
  /** At most this many waiting steps resume per second per service once its breaker closes. */
  BREAKER_RESUME_PER_SECOND: positiveInt('BREAKER_RESUME_PER_SECOND').default(DEFAULT_BREAKER_SETTINGS.resumePerSecond),
  /**
   * How long a process may hold the successes of a closed breaker before writing them to the shared
   * window in one command (failures and transitions are written at once); shorter than BREAKER_WINDOW.
   */
  BREAKER_SUCCESS_FLUSH_MS: duration('BREAKER_SUCCESS_FLUSH_MS').default(DEFAULT_BREAKER_SETTINGS.successFlushMs),
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
  // The server and namespace of the Temporal CLI's profile, where no variable names them.
  const profile = temporalProfile(env);
  if (input.TEMPORAL_ADDRESS === undefined && profile.address) input.TEMPORAL_ADDRESS = profile.address;
  if (input.TEMPORAL_NAMESPACE === undefined && profile.namespace) input.TEMPORAL_NAMESPACE = profile.namespace;
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
  const config = parsed.data;
  const problems: string[] = [];
  if (config.NODE_ENV === 'production' && !config.API_KEYS?.length)
    problems.push('API_KEYS is required when NODE_ENV=production');
  if (config.NODE_ENV === 'production' && !config.PAYLOAD_KEYS?.size)
    problems.push('PAYLOAD_KEYS is required when NODE_ENV=production (Temporal payloads carry personal data)');
  if (config.PAYLOAD_KEY_ID && !config.PAYLOAD_KEYS?.has(config.PAYLOAD_KEY_ID))
    problems.push(`PAYLOAD_KEY_ID ${config.PAYLOAD_KEY_ID} is not one of PAYLOAD_KEYS`);
  if (config.NODE_ENV === 'production' && !config.BLIND_INDEX_KEY)
    problems.push(
      "BLIND_INDEX_KEY is required when NODE_ENV=production (customers' data keys are found by a keyed hash of their id; openssl rand -base64 32)",
    );
  const blindIndexKey = config.BLIND_INDEX_KEY;
  if (blindIndexKey && [...(config.PAYLOAD_KEYS?.values() ?? [])].some((k) => k.equals(blindIndexKey)))
    problems.push(
      'BLIND_INDEX_KEY must be a secret of its own, not one of PAYLOAD_KEYS (it must outlive their rotation)',
    );
  if (config.BREAKER_SUCCESS_FLUSH_MS >= config.BREAKER_WINDOW)
    problems.push(
      `BREAKER_SUCCESS_FLUSH_MS must be shorter than BREAKER_WINDOW (${config.BREAKER_WINDOW} ms): successes held longer would miss their window`,
    );
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Whether requests must carry an API key. */
/** Fault injection costs a read per service call and per event, so it exists only where it is used. */
/**
 * Whether a worker makes its build the deployment's current version once it polls: `on` always
 * (outside production), `first` only while the deployment has no current version at all (in
 * production: the very first deploy works without an operator, every later build waits for the
 * deploy gate), `off` never.
 */
export const setsCurrentVersion = (
  config: Pick<Config, 'NODE_ENV' | 'WORKER_SET_CURRENT_VERSION'>,
): 'on' | 'first' | 'off' => config.WORKER_SET_CURRENT_VERSION ?? (config.NODE_ENV === 'production' ? 'first' : 'on');
/** The breakers' settings as the domain takes them. */
export const breakerSettings = (config: Config): BreakerSettings => ({
  windowMs: config.BREAKER_WINDOW,
  minimumCalls: config.BREAKER_MIN_CALLS,
  failureRatio: config.BREAKER_FAILURE_RATIO,
  openMs: config.BREAKER_OPEN,
  maxOpenMs: config.BREAKER_MAX_OPEN,
  probeTimeoutMs: config.BREAKER_PROBE_TIMEOUT,
  resumePerSecond: config.BREAKER_RESUME_PER_SECOND,
  successFlushMs: config.BREAKER_SUCCESS_FLUSH_MS,
});

export const faultInjectionOn = (config: Pick<Config, 'NODE_ENV' | 'FAULT_INJECTION'>) =>
  config.NODE_ENV !== 'production' && config.FAULT_INJECTION === 'on';

/** Where the API listens: see HOST. */
export const listenHost = (config: Config) =>
  config.HOST ?? (config.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1');

export const authRequired = (config: Config) => config.NODE_ENV === 'production' || config.AUTH === 'on';

/** Where the worker and the API find Temporal when no address was given: the embedded dev server. */
export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_PORT}`;
}

export function mongodbUri(config: Config): string {
  return config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.MONGODB_PORT}/?directConnection=true`;
}
