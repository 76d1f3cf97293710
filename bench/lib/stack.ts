import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../config';
import { createLogger } from '../../infra/logger';
import { connectMongo, type Mongo } from '../../infra/mongo';
import { createApp } from '../../api/app';
import { createWorker } from '../../workers/worker';
import { startConsumers } from '../../consumers';
import { registerSearchAttributes } from '../../infra/search-attributes';
import { dataConverter } from '../../infra/data-converter';
import { createNoopActivities } from '../baseline/activities';

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
    ...overrides,
  };
}

export interface BenchStack {
  config: Config;
  mongo: Mongo;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  baseUrl: string;
  /** The running consumers (email + projector), or undefined while paused. */
  consumers(): ReturnType<typeof startConsumers> | undefined;
  pauseConsumers(): Promise<void>;
  resumeConsumers(): Promise<void>;
  /** The no-op baseline's task queue, served by a worker of its own in this process. */
  baselineTaskQueue: string;
  stop(): Promise<void>;
}

/**
 * The whole system as `npm start` runs it, assembled in this process the way the integration tests
 * do (test/helpers/stack.ts): the order worker, the consumers (email + projector) and the Express
 * API on an ephemeral port, on a task queue and database of their own. Beside it, the baseline
 * worker: same connection and default worker settings, a bench-only workflow with five no-op
 * activities on its own task queue.
 */
export async function startBenchStack(servers: ServerAddresses): Promise<BenchStack> {
  installRuntime();
  const config = benchConfig(servers);
  const mongo = await connectMongo(config);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS! });
  await registerSearchAttributes(nativeConnection, config.TEMPORAL_NAMESPACE);
  const worker = await createWorker({ connection: nativeConnection, config, db: mongo.db });
  const baselineTaskQueue = `${config.TASK_QUEUE}-baseline`;
  const baselineWorker = await Worker.create({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: baselineTaskQueue,
    workflowsPath: path.resolve(__dirname, '..', 'baseline', 'workflows.ts'),
    activities: createNoopActivities(),
    dataConverter: dataConverter(config),
  });
  const running = [worker.run(), baselineWorker.run()];
  let consumers: ReturnType<typeof startConsumers> | undefined = startConsumers(mongo.db, createLogger('consumers-bench', config.LOG_LEVEL));
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) });
  const app = createApp({ client, db: mongo.db, config, log: createLogger('api-bench', config.LOG_LEVEL) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    config,
    mongo,
    client,
    connection,
    nativeConnection,
    baseUrl: `http://127.0.0.1:${port}`,
    consumers: () => consumers,
    pauseConsumers: async () => {
      await consumers?.stop();
      consumers = undefined;
    },
    resumeConsumers: async () => {
      consumers ??= startConsumers(mongo.db, createLogger('consumers-bench', config.LOG_LEVEL));
    },
    baselineTaskQueue,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await consumers?.stop();
      worker.shutdown();
      baselineWorker.shutdown();
      await Promise.allSettled(running);
      await connection.close();
      await nativeConnection.close();
      await mongo.db.dropDatabase().catch(() => {});
      await mongo.close();
    },
  };
}

/** JSON over HTTP. */
export async function http(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}
