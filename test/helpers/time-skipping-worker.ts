import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import type { EventStore } from '../../eventstore';
import { openServiceDb, type ServiceDb } from './service-db';
import { quietRuntime } from './quiet-runtime';
import { openTimeSkippingEnv } from './time-skipping-env';

export interface TimeSkippingWorker {
  env: TestWorkflowEnvironment;
  db: Db;
  store: EventStore;
  /** The worker's task queue (`<prefix>-<random>`): start the file's workflows on it. */
  taskQueue: string;
}

/**
 * The usual setup of a workflow spec file that runs the saga's workflows with real activities in
 * Temporal's time-skipping server: the server, a database of the file's own and a worker on a task
 * queue of its own, started before the file's tests and stopped after. `worker` gives the worker's
 * activities (and interceptors), built on that database. Read `t.env`, `t.db`, `t.store` inside tests.
 */
export function useTimeSkippingWorker(
  prefix: string,
  worker: (db: Db) => Pick<WorkerOptions, 'activities' | 'interceptors'>,
): TimeSkippingWorker {
  return useWorkerOn(openTimeSkippingEnv, prefix, worker);
}

/**
 * The same setup on the run's Temporal dev server (an integration spec's, TEMPORAL_ADDRESS): for
 * timings the time-skipping server does not play as a real server does.
 */
export function useDevServerWorker(
  prefix: string,
  worker: (db: Db) => Pick<WorkerOptions, 'activities' | 'interceptors'>,
): TimeSkippingWorker {
  return useWorkerOn(openDevServerEnv, prefix, worker);
}

async function openDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: a dev-server worker runs in an integration spec');
  quietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address });
}

function useWorkerOn(
  openEnv: () => Promise<TestWorkflowEnvironment>,
  prefix: string,
  worker: (db: Db) => Pick<WorkerOptions, 'activities' | 'interceptors'>,
): TimeSkippingWorker {
  const t = { taskQueue: `${prefix}-${randomUUID().slice(0, 8)}` } as TimeSkippingWorker;
  let services: ServiceDb | undefined;
  let running: { worker: Worker; run: Promise<void> } | undefined;
  beforeAll(async () => {
    t.env = await openEnv();
    services = await openServiceDb(prefix);
    t.db = services.db;
    t.store = services.store;
    const created = await Worker.create({
      connection: t.env.nativeConnection,
      taskQueue: t.taskQueue,
      workflowsPath: path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
      ...worker(t.db),
    });
    running = { worker: created, run: created.run() };
  }, 120_000);
  afterAll(async () => {
    running?.worker.shutdown();
    await running?.run;
    await services?.close();
    await t.env?.teardown();
  }, 60_000);
  return t;
}
