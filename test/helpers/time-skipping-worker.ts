import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import type { EventStore } from '../../eventstore';
import { openServiceDb, type ServiceDb } from './service-db';
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
  const t = { taskQueue: `${prefix}-${randomUUID().slice(0, 8)}` } as TimeSkippingWorker;
  let services: ServiceDb | undefined;
  let running: { worker: Worker; run: Promise<void> } | undefined;
  beforeAll(async () => {
    t.env = await openTimeSkippingEnv();
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
