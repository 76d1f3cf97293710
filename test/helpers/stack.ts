import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { inject } from 'vitest';
import { createApiClient, type ApiClient } from '../../api/client';
import { loadConfig, type Config } from '../../config';
import { freePort } from '../../servers/run-command';
import { startInProcess, type InProcessOptions, type InProcessSystem } from '../../scripts/system';

let runtimeInstalled = false;
let workerMetricsPort = 0;

export type Stack = InProcessSystem;

/**
 * The system as `npm start` runs it, in-process, against the real servers from global setup:
 * a worker on a task queue and a database of its own (so test files never see each other's work),
 * the projector, and the Express app on an ephemeral port. Drops its database when stopped.
 */
export async function startStack(overrides: Partial<Config> = {}, options: InProcessOptions = {}): Promise<Stack> {
  if (!runtimeInstalled) {
    // One runtime per test process, with the SDK's Prometheus exporter as the worker process has.
    workerMetricsPort = await freePort();
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: `127.0.0.1:${workerMetricsPort}`, useSecondsForDurations: true } },
      },
    });
    runtimeInstalled = true;
  }
  const suffix = randomUUID().slice(0, 8);
  const config: Config = {
    ...loadConfig({ ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), MONGODB_URI: inject('mongodbUri') }),
    TASK_QUEUE: `test-${suffix}`,
    MONGODB_DB: `test_${suffix}`,
    LOG_LEVEL: 'silent',
    WORKER_METRICS_URLS: [`http://127.0.0.1:${workerMetricsPort}/metrics`],
    ...overrides,
  };
  return startInProcess(config, { dropDatabaseOnStop: true, ...options });
}

export { http } from './raw-http';

/** The typed client (api/client) for a stack's API; `headers` go with every request (an API key in production-mode tests). */
export function apiOf(stack: Stack, headers: Record<string, string> = {}): ApiClient {
  return createApiClient({ baseUrl: stack.baseUrl, headers });
}
