import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type pino from 'pino';
import { createApp } from '../api/app';
import {
  apiParts,
  masterKeysFor,
  openDatabase,
  readSideParts,
  temporalClient,
  workerParts,
  workerConnection,
} from '../composition';
import type { AccountService } from '../domain/accounts';
import { breakerSettings, faultInjectionOn, type Config } from '../config';
import { startConsumers } from '../readside';
import { createLogger, type Logger } from '../infra/logger';
import type { Mongo } from '../infra/mongo';
import { createWorker, runWorker } from '../workers/worker';

export interface InProcessSystem {
  config: Config;
  mongo: Mongo;
  client: Client;
  /** The API's account service (one per process, as the API process has it). */
  accounts: AccountService;
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
 * parts as separate processes; here each part gets what its own composition root builds for it
 * (composition/api.ts, worker.ts, readside.ts), as it would in its own process.
 */
export async function startInProcess(config: Config, options: InProcessOptions = {}): Promise<InProcessSystem> {
  const log = options.log ?? createLogger('system', config.LOG_LEVEL, options.destination);
  const mongo = await openDatabase(config);
  const nativeConnection = await workerConnection(config);
  const parts =
    options.worker === false
      ? undefined
      : workerParts({ db: mongo.db, masterKeys: masterKeysFor(config, log), breakers: breakerSettings(config) });
  const worker =
    parts &&
    (await createWorker({
      connection: nativeConnection,
      config,
      db: mongo.db,
      ...parts,
      log,
      spanExporter: options.spanExporter,
    }));
  const started = worker && runWorker(worker, { connection: nativeConnection, config, db: mongo.db, log });
  const running = started?.running;
  await started?.current;
  const consumers =
    options.consumers === false
      ? undefined
      : await startConsumers(
          { ...readSideParts(mongo.db), log },
          {
            faultInjection: faultInjectionOn(config),
            breakers: config.BREAKERS === 'on' ? breakerSettings(config) : 'off',
          },
        );
  const { client, connection } = await temporalClient(config);
  const api = apiParts({ db: mongo.db, config, log, client });
  const server = createApp(api).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    config,
    mongo,
    client,
    accounts: api.accounts,
    worker,
    nativeConnection,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await consumers?.stop();
      worker?.shutdown();
      await running;
      await parts?.breakers.stop();
      await connection.close();
      await nativeConnection.close();
      if (options.dropDatabaseOnStop) await mongo.db.dropDatabase().catch(() => {});
      await mongo.close();
    },
  };
}
