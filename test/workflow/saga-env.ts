import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { ensureServiceIndexes } from '../../activities/indexes';
import { createEventStore } from '../../eventstore';
import { provisionTimeSkippingServer } from '../../servers/temporal-test-server';
import { searchAttributes } from '../../infra/search-attribute-keys';
import type { SagaSettings, StepPolicy } from '../../domain/orders';
import type { CellRun } from './matrix/faulty-activities';
import { faultyActivities } from './matrix/faulty-activities';
import { workerActivities } from '../../composition';

export interface SagaEnv {
  client: Client;
  db: Db;
  worker: Worker;
  taskQueue: string;
  /** The settings every cell's saga runs with. */
  settings: SagaSettings;
  /** Cells whose sagas get faults injected, by order id. */
  runs: Map<string, CellRun>;
  /** The Temporal server's address and the worker's connection, for a test that runs workers of its own. */
  address: string;
  nativeConnection: NativeConnection;
}

const policy = (maximumAttempts: number, intervalMs: number, maxIntervalMs: number): StepPolicy => ({
  startToCloseTimeoutMs: 10_000,
  initialIntervalMs: intervalMs,
  backoffCoefficient: 2,
  maximumIntervalMs: maxIntervalMs,
  maximumAttempts,
});
/** Budgets as in production, only smaller: 3 attempts per step, 4 per compensation, a 24 h approval window. */
export const MATRIX_SETTINGS: SagaSettings = {
  approvalThreshold: 1_000_000,
  approvalTimeoutMs: 24 * 3_600_000,
  policies: {
    order: policy(3, 1_000, 10_000),
    payment: policy(3, 1_000, 10_000),
    inventory: policy(3, 1_000, 10_000),
    shipping: policy(3, 1_000, 10_000),
  },
  compensationPolicy: policy(4, 1_000, 10_000),
};
/** The same budgets in real time, shrunk so a cell takes seconds: no server skips time for us. */
export const REAL_TIME_SETTINGS: SagaSettings = {
  approvalThreshold: 1_000_000,
  approvalTimeoutMs: 5_000,
  // A repairable failure (the matrix's refused address) waits for a repair a second, then compensates.
  repairWaitMs: 1_000,
  policies: {
    order: policy(3, 100, 400),
    payment: policy(3, 100, 400),
    inventory: policy(3, 100, 400),
    shipping: policy(3, 100, 400),
  },
  compensationPolicy: policy(4, 100, 400),
};

const defaultWorkflows = path.resolve(__dirname, '..', '..', 'workflows', 'index.ts');

/**
 * Workflow tests in Temporal's time-skipping test server (timers of hours pass in milliseconds),
 * with the real activities against the real MongoDB server wrapped in a fault layer: the subject is
 * the workflow's logic, and the services keep their real rules, so money and stock can be counted.
 * `workflowsPath` picks the workflow code (the current saga, or a copy of an old one).
 */
export function useTimeSkippingSaga(workflowsPath = defaultWorkflows): SagaEnv {
  let env: TestWorkflowEnvironment | undefined;
  return useSaga(workflowsPath, MATRIX_SETTINGS, {
    async open() {
      const executable = await provisionTimeSkippingServer();
      env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: executable } },
      });
      // The test server knows no custom search attributes until they are added (its CLI flag differs from the dev server's).
      const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
      await env.connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: Object.fromEntries(searchAttributes.map((k) => [k.name, KEYWORD])),
      });
      return { client: env.client, nativeConnection: env.nativeConnection, address: env.address };
    },
    close: async () => env?.teardown(),
  });
}

/** The same cells on the real stack: the Temporal dev server and the MongoDB server of the test run. */
export function useDevServerSaga(workflowsPath = defaultWorkflows): SagaEnv {
  let connection: Connection | undefined;
  let nativeConnection: NativeConnection | undefined;
  return useSaga(workflowsPath, REAL_TIME_SETTINGS, {
    async open() {
      quietRuntime();
      const address = inject('temporalAddress');
      connection = await Connection.connect({ address });
      nativeConnection = await NativeConnection.connect({ address });
      const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
      return { client: new Client({ connection, namespace }), nativeConnection, namespace, address };
    },
    async close() {
      await nativeConnection?.close();
      await connection?.close();
    },
  });
}

/** The SDK logs every worker state change at INFO; a test run wants warnings only. */
function quietRuntime() {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process (another suite did it): keep that one.
  }
}

interface Server {
  open(): Promise<{ client: Client; nativeConnection: NativeConnection; address: string; namespace?: string }>;
  close(): Promise<void>;
}

function useSaga(workflowsPath: string, settings: SagaSettings, server: Server): SagaEnv {
  const t = { settings } as SagaEnv;
  let mongo: MongoClient;
  let running: Promise<void>;
  beforeAll(async () => {
    const { client, nativeConnection, namespace, address } = await server.open();
    t.client = client;
    t.address = address;
    t.nativeConnection = nativeConnection;
    mongo = await new MongoClient(inject('mongodbUri'), { maxPoolSize: 50 }).connect();
    t.db = mongo.db(`saga_${randomUUID().slice(0, 8)}`);
    await createEventStore(t.db).ensureIndexes();
    await ensureServiceIndexes(t.db);
    t.runs = new Map();
    t.taskQueue = `matrix-${randomUUID().slice(0, 8)}`;
    t.worker = await Worker.create({
      connection: nativeConnection,
      ...(namespace && { namespace }),
      taskQueue: t.taskQueue,
      workflowsPath,
      activities: faultyActivities(workerActivities({ db: t.db }), t.runs, () => t.client),
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
    await server.close();
  }, 60_000);
  return t;
}
