/**
 * One part of the system in a process of its own, for the scenarios that measure each part's CPU
 * apart (bench/lib/processes.ts starts it): the API, the order worker, the read side, or a
 * baseline's worker or watcher. Its MongoDB client is monitored: every command it starts is
 * counted (by activity for a worker) and the bytes it writes are summed; the parent asks for both
 * over IPC, and pauses and resumes a read side the same way.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { masterKeysFor, openDatabase, readSideParts, workerConnection, workerParts } from '../composition';
import { breakerSettings, faultInjectionOn, mongodbUri, type Config } from '../config';
import { dataConverter } from '../infra/data-converter';
import { createLogger } from '../infra/logger';
import type { Mongo } from '../infra/mongo';
import { startConsumers } from '../readside';
import { startInProcess } from '../scripts/system';
import { createWorker, runWorker } from '../workers/worker';
import { createNoopActivities } from './baseline/activities';
import { createByteCounter } from './lib/bytes-written';
import { activityStep, createCommandCounter } from './lib/command-count';
import type { ChildRequest, ChildRole } from './lib/processes';
import { benchConfig, installRuntime, withCommandMonitoring } from './lib/stack';
import { createMinimalActivities } from './minimal/activities';
import { startMinimalWatcher } from './minimal/watcher';

const role = process.env.BENCH_ROLE as ChildRole;
const commands = createCommandCounter();
const bytes = createByteCounter();

/** The process name its counts go under: the process kind it stands for. */
const COUNTED_AS: Record<ChildRole, string> = {
  api: 'api',
  worker: 'worker',
  readside: 'read side',
  'noop-worker': 'worker',
  'minimal-worker': 'worker',
  'minimal-watcher': 'read side',
};

function watch(mongo: Mongo, stepOf?: () => string | undefined) {
  const name = COUNTED_AS[role];
  commands.watch(name, mongo.client, stepOf);
  mongo.client.on('commandStarted', (event) => bytes.record(name, event));
}

interface Running {
  baseUrl?: string;
  pause?(): Promise<void>;
  resume?(): Promise<void>;
  stop(): Promise<void>;
}

async function start(config: Config): Promise<Running> {
  const monitored: Config = { ...config, MONGODB_URI: withCommandMonitoring(mongodbUri(config)) };
  const log = createLogger(`bench-${role}`, config.LOG_LEVEL);
  switch (role) {
    case 'api': {
      const system = await startInProcess(monitored, { worker: false, consumers: false });
      watch(system.mongo);
      return { baseUrl: system.baseUrl, stop: () => system.stop() };
    }
    case 'worker': {
      const mongo = await openDatabase(monitored);
      watch(mongo, activityStep);
      const connection = await workerConnection(config);
      // As workers/main.ts builds it: the steps guarded by their circuit breakers.
      const parts = workerParts({
        db: mongo.db,
        masterKeys: masterKeysFor(config, log),
        breakers: breakerSettings(config),
      });
      const worker = await createWorker({ connection, config, db: mongo.db, ...parts, log });
      const started = runWorker(worker, { connection, config, db: mongo.db, log });
      await started.current;
      return {
        stop: async () => {
          worker.shutdown();
          await started.running.catch(() => {});
          await connection.close();
          await mongo.close();
        },
      };
    }
    case 'readside': {
      const mongo = await openDatabase(monitored);
      watch(mongo);
      const run = () =>
        startConsumers({ ...readSideParts(mongo.db), log }, { faultInjection: faultInjectionOn(config) });
      let consumers: Awaited<ReturnType<typeof run>> | undefined = await run();
      return {
        pause: async () => {
          await consumers?.stop();
          consumers = undefined;
        },
        resume: async () => void (consumers ??= await run()),
        stop: async () => {
          await consumers?.stop();
          await mongo.close();
        },
      };
    }
    case 'noop-worker':
    case 'minimal-worker': {
      const minimal = role === 'minimal-worker';
      const mongo = minimal ? await openDatabase(monitored) : undefined;
      if (mongo) watch(mongo, activityStep);
      const connection = await workerConnection(config);
      const worker = await Worker.create({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: `${config.TASK_QUEUE}-${minimal ? 'minimal' : 'baseline'}`,
        workflowsPath: path.join(__dirname, minimal ? 'minimal' : 'baseline', 'workflows.ts'),
        activities: mongo ? createMinimalActivities(mongo.db) : createNoopActivities(),
        dataConverter: dataConverter(config),
      });
      const running = worker.run();
      return {
        stop: async () => {
          worker.shutdown();
          await running.catch(() => {});
          await connection.close();
          await mongo?.close();
        },
      };
    }
    case 'minimal-watcher': {
      const mongo = await openDatabase(monitored);
      watch(mongo);
      let watcher: Awaited<ReturnType<typeof startMinimalWatcher>> | undefined = await startMinimalWatcher(mongo.db);
      return {
        pause: async () => {
          await watcher?.stop();
          watcher = undefined;
        },
        resume: async () => void (watcher ??= await startMinimalWatcher(mongo.db)),
        stop: async () => {
          await watcher?.stop();
          await mongo.close();
        },
      };
    }
  }
}

/**
 * With BENCH_CPU_PROFILE_DIR set, the process's main thread is sampled by V8's profiler from start
 * to stop and written there as <role>.cpuprofile (`--cpu-prof` is refused in NODE_OPTIONS).
 */
async function startProfiler(): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `${role}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

async function main() {
  installRuntime();
  const config = benchConfig(
    {
      temporalAddress: process.env.BENCH_TEMPORAL_ADDRESS!,
      namespace: process.env.BENCH_TEMPORAL_NAMESPACE!,
      mongodbUri: process.env.BENCH_MONGODB_URI!,
    },
    { TASK_QUEUE: process.env.BENCH_TASK_QUEUE!, MONGODB_DB: process.env.BENCH_DB! },
  );
  const running = await start(config);
  const profiler = await startProfiler();
  const reply = (id: number, result: unknown) => process.send?.({ id, result });
  process.on('message', (request: ChildRequest) => {
    void (async () => {
      try {
        if (request.op === 'work') return reply(request.id, { commands: commands.snapshot(), bytes: bytes.snapshot() });
        if (request.op === 'pause') return reply(request.id, await running.pause?.());
        if (request.op === 'resume') return reply(request.id, await running.resume?.());
        await profiler?.();
        await running.stop();
        reply(request.id, null);
        process.exit(0);
      } catch (err) {
        process.send?.({ id: request.id, error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  process.send?.({ ready: true, baseUrl: running.baseUrl });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
