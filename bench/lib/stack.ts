import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import { masterKeysFor, openDatabase, readSideParts, workerParts } from '../../composition';
import { breakerSettings, faultInjectionOn, loadConfig, mongodbUri, type Config } from '../../config';
import { createLogger } from '../../infra/logger';
import type { Mongo } from '../../infra/mongo';
import { startConsumers } from '../../readside';
import { dataConverter } from '../../infra/data-converter';
import { createWorker, runWorker } from '../../workers/worker';
import { createNoopActivities } from '../baseline/activities';
import { startInProcess } from '../../scripts/system';
import { activityStep, createCommandCounter, type CommandCounter } from './command-count';
import { serverProcesses } from './machine';
import type { Work } from './processes';
import type { CpuTarget, Side } from './work';

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
    ...loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: servers.temporalAddress,
      TEMPORAL_NAMESPACE: servers.namespace,
      MONGODB_URI: servers.mongodbUri,
    }),
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
  /** The bench's own client (setup, polling the read model): its commands are not counted. */
  mongo: Mongo;
  /** MongoDB commands of the worker, the API and the read side, each counted on a client of its own. */
  commands: CommandCounter;
  client: Client;
  nativeConnection: NativeConnection;
  baseUrl: string;
  /** The running consumers (email + projector), or undefined while paused. */
  consumers(): Consumers | undefined;
  pauseConsumers(): Promise<void>;
  resumeConsumers(): Promise<void>;
  /** The no-op baseline's task queue, served by a worker of its own in this process. */
  baselineTaskQueue: string;
  /** No worker serves it here: the minimal saga runs in the split stack (./split-stack.ts) only. */
  minimalTaskQueue: string;
  /** This process (everything but the servers) counts as our worker. */
  cpuTargets: CpuTarget[];
  work(side: Side): Promise<Work>;
  pause(side: Side): Promise<void>;
  resume(side: Side): Promise<void>;
  stop(): Promise<void>;
}

/** The URI with the driver's command monitor on (`monitorCommands` is also a connection string option). */
export function withCommandMonitoring(uri: string): string {
  const [hosts, query] = uri.split('?', 2) as [string, string | undefined];
  const slash = hosts.slice(hosts.indexOf('//') + 2).includes('/') ? '' : '/';
  return `${hosts}${slash}?${query ? `${query}&` : ''}monitorCommands=true`;
}

/**
 * The profiled run's stack (bench/profile-child.ts), where one V8 profile is to show the whole
 * system; the scenarios run the split stack (./split-stack.ts), one process per part.
 * The whole system as `npm start` runs it, assembled in this process the way the tests do
 * (scripts/system.ts): the order worker and the Express API on an ephemeral port, on a task queue
 * and database of their own, with the consumers (email + projector) started here so a scenario
 * can pause them. As under `npm start`, the worker, the API and the consumers each have a MongoDB
 * client of their own, so each one's commands are counted apart (and the bench's own reads are
 * not counted). Beside it, the baseline worker: same connection and default worker settings, a
 * bench-only workflow with five no-op activities on its own task queue.
 */
export async function startBenchStack(servers: ServerAddresses): Promise<BenchStack> {
  installRuntime();
  const config = benchConfig(servers);
  const monitored: Config = { ...config, MONGODB_URI: withCommandMonitoring(mongodbUri(config)) };
  const commands = createCommandCounter();
  const benchMongo = await openDatabase(config);
  // The API: startInProcess's client, monitored; the worker is started below on a client of its own.
  const system = await startInProcess(monitored, { worker: false, consumers: false, dropDatabaseOnStop: true });
  commands.watch('api', system.mongo.client);
  const workerMongo = await openDatabase(monitored);
  commands.watch('worker', workerMongo.client, activityStep);
  const workerLog = createLogger('worker-bench', config.LOG_LEVEL);
  // As workers/main.ts builds it: the steps guarded by their circuit breakers.
  const parts = workerParts({
    db: workerMongo.db,
    masterKeys: masterKeysFor(config, workerLog),
    breakers: breakerSettings(config),
  });
  const worker = await createWorker({
    connection: system.nativeConnection,
    config,
    db: workerMongo.db,
    ...parts,
    log: workerLog,
  });
  const started = runWorker(worker, {
    connection: system.nativeConnection,
    config,
    db: workerMongo.db,
    log: workerLog,
  });
  await started.current;
  const readMongo = await openDatabase(monitored);
  commands.watch('read side', readMongo.client);
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
  const start = () =>
    startConsumers({ ...readSideParts(readMongo.db), log }, { faultInjection: faultInjectionOn(config) });
  let consumers: Consumers | undefined = await start();
  const procs = serverProcesses(servers.mongodbUri, servers.temporalAddress);
  const pauseConsumers = async () => {
    await consumers?.stop();
    consumers = undefined;
  };
  const resumeConsumers = async () => {
    consumers ??= await start();
  };
  return {
    config,
    mongo: benchMongo,
    commands,
    client: system.client,
    nativeConnection: system.nativeConnection,
    baseUrl: system.baseUrl,
    consumers: () => consumers,
    pauseConsumers,
    resumeConsumers,
    baselineTaskQueue,
    minimalTaskQueue: `${config.TASK_QUEUE}-minimal`,
    cpuTargets: [
      {
        name: 'bench process (worker + API + consumers + load)',
        pid: process.pid,
        side: 'ours',
        kind: 'worker',
        threads: true,
      },
      { name: 'MongoDB server', pid: procs.java?.pid, side: 'shared', kind: 'MongoDB', threads: true },
      { name: 'Temporal dev server', pid: procs.temporal?.pid, side: 'shared', kind: 'Temporal' },
    ],
    work: async (side) => ({ commands: side === 'ours' ? commands.snapshot() : {}, bytes: {} }),
    pause: async (side) => void (side === 'ours' && (await pauseConsumers())),
    resume: async (side) => void (side === 'ours' && (await resumeConsumers())),
    stop: async () => {
      await consumers?.stop();
      baselineWorker.shutdown();
      worker.shutdown();
      await Promise.all([baselineRunning.catch(() => {}), started.running.catch(() => {})]);
      // Closes the API, the Temporal connections and the API's client, and drops the database.
      await system.stop();
      await Promise.all([workerMongo.close(), readMongo.close(), benchMongo.close()]);
    },
  };
}
