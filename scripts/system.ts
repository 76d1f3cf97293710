import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type pino from 'pino';
import { createApp } from '../api/app';
import { faultInjectionOn, type Config } from '../config';
import { startConsumers } from '../consumers';
import { ensureEventStoreIndexes } from '../eventstore';
import { ensureServiceIndexes } from '../activities/indexes';
import { ensureApiIndexes } from '../api/indexes';
import { dataConverter } from '../infra/data-converter';
import { createLogger, type Logger } from '../infra/logger';
import { connectMongo, type Mongo } from '../infra/mongo';
import { registerSearchAttributes } from '../infra/search-attributes';
import { createWorker } from '../workers/worker';

export interface InProcessSystem {
  config: Config;
  mongo: Mongo;
  client: Client;
  /** Absent when started with `worker: false` (a test then runs its own, for example as a process it can kill). */
  worker: Worker | undefined;
  nativeConnection: NativeConnection;
  baseUrl: string;
  stop(): Promise<void>;
}

export interface InProcessOptions {
  worker?: boolean;
  consumers?: boolean;
  log?: Logger;
  /** Where logs go when no logger is given. */
  destination?: pino.DestinationStream;
  spanExporter?: SpanExporter;
  /** Drop the database after everything else has stopped (tests that each use a database of their own). */
  dropDatabaseOnStop?: boolean;
}

/**
 * The whole system in one process (worker, projector, API on an ephemeral port) against running
 * servers: what the tests, the fuzzing script and the benchmarks drive. `npm start` runs the same
 * parts as separate processes.
 */
export async function startInProcess(config: Config, options: InProcessOptions = {}): Promise<InProcessSystem> {
  const log = options.log ?? createLogger('system', config.LOG_LEVEL, options.destination);
  const mongo = await connectMongo(config);
  await ensureEventStoreIndexes(mongo.db);
  await ensureServiceIndexes(mongo.db);
  await ensureApiIndexes(mongo.db);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS! });
  await registerSearchAttributes(nativeConnection, config.TEMPORAL_NAMESPACE);
  const worker = options.worker === false ? undefined : await createWorker({ connection: nativeConnection, config, db: mongo.db, log, spanExporter: options.spanExporter });
  const running = worker?.run();
  const consumers = options.consumers === false ? undefined : await startConsumers(mongo.db, log, { faultInjection: faultInjectionOn(config) });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS! });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) });
  const server = createApp({ client, db: mongo.db, config, log }).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    config,
    mongo,
    client,
    worker,
    nativeConnection,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await consumers?.stop();
      worker?.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      if (options.dropDatabaseOnStop) await mongo.db.dropDatabase().catch(() => {});
      await mongo.close();
    },
  };
}
