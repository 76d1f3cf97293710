import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../config';
import { createLogger, type Logger } from '../../infra/logger';
import { freePort } from '../../servers/run-command';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { connectMongo, type Mongo } from '../../infra/mongo';
import { createApp } from '../../api/app';
import { createWorker } from '../../workers/worker';
import { startConsumers } from '../../consumers';
import { registerSearchAttributes } from '../../infra/search-attributes';
import { dataConverter } from '../../infra/data-converter';

let runtimeInstalled = false;
let workerMetricsPort = 0;

export interface Stack {
  config: Config;
  mongo: Mongo;
  client: Client;
  worker: Worker | undefined;
  nativeConnection: NativeConnection;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The system as `npm start` runs it, in-process, against the real servers from global setup:
 * a worker on a task queue and a database of its own (so test files never see each other's work)
 * and the Express app on an ephemeral port.
 */
export async function startStack(
  overrides: Partial<Config> = {},
  options: { worker?: boolean; consumers?: boolean; log?: Logger; spanExporter?: SpanExporter } = {},
): Promise<Stack> {
  if (!runtimeInstalled) {
    // One runtime per test process, with the SDK's Prometheus exporter as the worker process has.
    workerMetricsPort = await freePort();
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${workerMetricsPort}`, useSecondsForDurations: true } } },
    });
    runtimeInstalled = true;
  }
  const suffix = randomUUID().slice(0, 8);
  const config: Config = {
    ...loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      MONGODB_URI: inject('mongodbUri'),
    }),
    TASK_QUEUE: `test-${suffix}`,
    MONGODB_DB: `test_${suffix}`,
    LOG_LEVEL: 'silent',
    WORKER_METRICS_URLS: [`http://127.0.0.1:${workerMetricsPort}/metrics`],
    ...overrides,
  };
  const mongo = await connectMongo(config);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS! });
  await registerSearchAttributes(nativeConnection, config.TEMPORAL_NAMESPACE);
  // Without an in-process worker, the test runs one of its own (for example as a process it can kill).
  const worker = options.worker === false ? undefined : await createWorker({ connection: nativeConnection, config, db: mongo.db, log: options.log, spanExporter: options.spanExporter });
  const running = worker?.run();
  const consumers = options.consumers === false ? undefined : startConsumers(mongo.db, options.log ?? createLogger('consumers-test', config.LOG_LEVEL));
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) });
  const app = createApp({ client, db: mongo.db, config, log: options.log ?? createLogger('api-test', config.LOG_LEVEL) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    config,
    mongo,
    client,
    worker,
    nativeConnection,
    baseUrl: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await consumers?.stop();
      worker?.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      await mongo.db.dropDatabase().catch(() => {});
      await mongo.close();
    },
  };
}

/** JSON over HTTP, the way a client of the API talks to it. */
export async function http(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}
