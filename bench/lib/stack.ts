import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import { faultInjectionOn, loadConfig, type Config } from '../../config';
import { createLogger } from '../../infra/logger';
import type { Mongo } from '../../infra/mongo';
import { startConsumers } from '../../consumers';
import { dataConverter } from '../../infra/data-converter';
import { createNoopActivities } from '../baseline/activities';
import { startInProcess } from '../../scripts/system';

let runtimeInstalled = false;

export function installRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export interface ServerAddresses {
  temporalAddress: string;
  namespace: string;
  mongodbUri: string;
}

export function benchConfig(servers: ServerAddresses, overrides: Partial<Config> = {}): Config {
  const suffix = randomUUID().slice(0, 8);
  return {
    ...loadConfig({ ...process.env, TEMPORAL_ADDRESS: servers.temporalAddress, TEMPORAL_NAMESPACE: servers.namespace, MONGODB_URI: servers.mongodbUri }),
    TASK_QUEUE: `bench-${suffix}`,
    MONGODB_DB: `bench_${suffix}`,
    LOG_LEVEL: 'silent',
    // Measured as it runs in production: no fault injection, so no read per call or event.
    FAULT_INJECTION: 'off',
    ...overrides,
  };
}

export type Consumers = Awaited<ReturnType<typeof startConsumers>>;

export interface BenchStack {
  config: Config;
  mongo: Mongo;
  client: Client;
  nativeConnection: NativeConnection;
  baseUrl: string;
  /** The running consumers (email + projector), or undefined while paused. */
  consumers(): Consumers | undefined;
  pauseConsumers(): Promise<void>;
  resumeConsumers(): Promise<void>;
  /** The no-op baseline's task queue, served by a worker of its own in this process. */
  baselineTaskQueue: string;
  stop(): Promise<void>;
}

/**
 * The whole system as `npm start` runs it, assembled in this process the way the tests do
 * (scripts/system.ts): the order worker and the Express API on an ephemeral port, on a task queue
 * and database of their own, with the consumers (email + projector) started here so a scenario
 * can pause them. Beside it, the baseline worker: same connection and default worker settings, a
 * bench-only workflow with five no-op activities on its own task queue.
 */
export async function startBenchStack(servers: ServerAddresses): Promise<BenchStack> {
  installRuntime();
  const config = benchConfig(servers);
  const system = await startInProcess(config, { consumers: false, dropDatabaseOnStop: true });
  const baselineTaskQueue = `${config.TASK_QUEUE}-baseline`;
  const baselineWorker = await Worker.create({
    connection: system.nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: baselineTaskQueue,
    workflowsPath: path.resolve(__dirname, '..', 'baseline', 'workflows.ts'),
    activities: createNoopActivities(),
    dataConverter: dataConverter(config),
  });
  const baselineRunning = baselineWorker.run();
  const log = createLogger('consumers-bench', config.LOG_LEVEL);
  let consumers: Consumers | undefined = await startConsumers(system.mongo.db, log, { faultInjection: faultInjectionOn(config) });
  return {
    config,
    mongo: system.mongo,
    client: system.client,
    nativeConnection: system.nativeConnection,
    baseUrl: system.baseUrl,
    consumers: () => consumers,
    pauseConsumers: async () => {
      await consumers?.stop();
      consumers = undefined;
    },
    resumeConsumers: async () => {
      consumers ??= await startConsumers(system.mongo.db, log, { faultInjection: faultInjectionOn(config) });
    },
    baselineTaskQueue,
    stop: async () => {
      await consumers?.stop();
      baselineWorker.shutdown();
      await baselineRunning.catch(() => {});
      await system.stop();
    },
  };
}
export { http } from '../../scripts/http-json';
