import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { createActivities } from '../../activities';
import { ensureServiceIndexes } from '../../activities/indexes';
import { createEventStore } from '../../eventstore';
import { provisionTimeSkippingServer } from '../../servers/temporal-test-server';
import { searchAttributes } from '../../workflows/search-attributes';
import type { CellRun } from './matrix/faulty-activities';
import { faultyActivities } from './matrix/faulty-activities';

export interface SagaEnv {
  env: TestWorkflowEnvironment;
  db: Db;
  worker: Worker;
  taskQueue: string;
  /** Cells whose sagas get faults injected, by order id. */
  runs: Map<string, CellRun>;
}

/**
 * Workflow tests in Temporal's time-skipping test server (timers of hours pass in milliseconds),
 * with the real activities against the real MongoDB server wrapped in a fault layer: the subject is
 * the workflow's logic, and the services keep their real rules, so money and stock can be counted.
 * `workflowsPath` picks the workflow code (the current saga, or a copy of an old one).
 */
export function useTimeSkippingSaga(workflowsPath = path.resolve(__dirname, '..', '..', 'workflows', 'index.ts')) {
  const t = {} as SagaEnv;
  let mongo: MongoClient;
  let running: Promise<void>;
  beforeAll(async () => {
    const executable = await provisionTimeSkippingServer();
    t.env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: executable } } });
    // The test server knows no custom search attributes until they are added (its CLI flag differs from the dev server's).
    const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await t.env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: Object.fromEntries(searchAttributes.map((k) => [k.name, KEYWORD])) });

    mongo = await new MongoClient(inject('mongodbUri'), { maxPoolSize: 50 }).connect();
    t.db = mongo.db(`saga_${randomUUID().slice(0, 8)}`);
    await createEventStore(t.db).ensureIndexes();
    await ensureServiceIndexes(t.db);
    t.runs = new Map();
    t.taskQueue = `matrix-${randomUUID().slice(0, 8)}`;
    t.worker = await Worker.create({
      connection: t.env.nativeConnection,
      taskQueue: t.taskQueue,
      workflowsPath,
      activities: faultyActivities(createActivities({ db: t.db }), t.runs, () => t.env.client),
    });
    running = t.worker.run();
  }, 120_000);
  afterAll(async () => {
    if (t.worker) {
      t.worker.shutdown();
      await running;
    }
    await t.db?.dropDatabase().catch(() => {});
    await mongo?.close();
    await t.env?.teardown();
  }, 60_000);
  return t;
}
