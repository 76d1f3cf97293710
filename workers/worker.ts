import { pruneSettledReservations } from '../activities/stock-pruning';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { faultInjectionOn, setsCurrentVersion, type Config } from '../config';
import { makeCurrentVersion, RoutingPropagationPendingError, type CurrentVersionOutcome } from './deployment';
import type { Activities } from '../activities';
import { dataConverter } from '../infra/data-converter';
import { createLogger, type Logger } from '../infra/logger';
import { tracing } from '../infra/tracing';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ObservabilityInterceptor } from './activity-interceptor';
import { FaultInjectionInterceptor } from './fault-interceptor';
import { BreakerInterceptor } from './breaker-interceptor';
import type { Breakers } from '../activities/breakers';
import { createFaults } from '../infra/faults';
import { buildIdFor } from './build-id';
import { bundleWorkflows } from './workflow-bundle';
import { startSettlementSweeper } from './settlement-sweeper';
import type { Context } from '@temporalio/activity';

/**
 * Builds the order worker: the saga workflow plus every service's activities on one task queue,
 * the activities as its composition root built them (composition/worker.ts).
 */
export async function createWorker(deps: {
  connection: NativeConnection;
  config: Config;
  db: Db;
  activities: Activities;
  /** The circuit breakers on the activities' store (composition/worker.ts); none: the steps are not guarded. */
  breakers?: Breakers;
  log?: Logger;
  spanExporter?: SpanExporter;
  workflowsPath?: string;
}): Promise<Worker> {
  const log = deps.log ?? createLogger('worker', deps.config.LOG_LEVEL);
  const plugin = tracing(deps.config, 'order-worker', deps.spanExporter);
  const faults = faultInjectionOn(deps.config) ? createFaults(deps.db) : null;
  const plugins = plugin ? [plugin] : [];
  const breakers = deps.config.BREAKERS === 'on' ? deps.breakers : undefined;
  // Bundled here rather than by Worker.create, so that the code the build id hashes is the code
  // this worker loads (the plugins' workflow interceptors included).
  const bundle = await bundleWorkflows({
    // An explicit file path (not require.resolve) so the same code runs under tsx and vitest.
    workflowsPath: deps.workflowsPath ?? path.resolve(__dirname, '..', 'workflows', 'index.ts'),
    plugins,
    logger: Runtime.instance().logger,
  });
  const build = buildIdFor(deps.config, bundle);
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.config.TASK_QUEUE,
    // The build in the identity too: the Web UI shows, task by task, which build ran it.
    identity: `${process.pid}@${os.hostname()} ${build}`,
    // A version of the Worker Deployment, its workflows Pinned: a saga finishes on the build it
    // started on, however long it waits (an approval, an outage), so a new build may change the
    // saga freely (docs/workflow-changes.md). The behavior is the worker's, not the
    // workflow's: the server refuses one from an unversioned worker, and tests run the same
    // workflow code on unversioned workers.
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName: deps.config.WORKER_DEPLOYMENT_NAME, buildId: build },
      defaultVersioningBehavior: 'PINNED',
    },
    workflowBundle: bundle,
    activities: deps.activities,
    ...(deps.config.WORKER_MAX_ACTIVITY_SLOTS !== undefined && {
      maxConcurrentActivityTaskExecutions: deps.config.WORKER_MAX_ACTIVITY_SLOTS,
    }),
    ...(deps.config.WORKER_MAX_WORKFLOW_TASK_SLOTS !== undefined && {
      maxConcurrentWorkflowTaskExecutions: deps.config.WORKER_MAX_WORKFLOW_TASK_SLOTS,
    }),
    dataConverter: dataConverter(deps.config),
    interceptors: {
      activity: [
        (ctx) => ({ inbound: new ObservabilityInterceptor(ctx, log) }),
        // Outside the fault interceptor, so an injected outage counts against the breaker like a real one.
        ...(breakers ? [(ctx: Context) => ({ inbound: new BreakerInterceptor(ctx, breakers, log) })] : []),
        // Inside the observability one, so an injected failure is logged and measured like a real one.
        ...(faults ? [(ctx: Context) => ({ inbound: new FaultInjectionInterceptor(ctx, faults) })] : []),
      ],
    },
    plugins,
  });
}

/** Runs the worker; per WORKER_SET_CURRENT_VERSION its build becomes the deployment's current version once it polls. */
export function runWorker(
  worker: Worker,
  deps: { connection: NativeConnection; config: Config; db?: Db; log?: Logger },
): { running: Promise<void>; current: Promise<CurrentVersionOutcome | 'propagating' | 'off'> } {
  const running = worker.run();
  // The Inventory service's housekeeping runs where the service runs: settled orders' entries
  // leave the SKU documents, so those stay small however many orders a SKU was in.
  if (deps.db) {
    const db = deps.db;
    const log = deps.log ?? createLogger('worker', deps.config.LOG_LEVEL);
    const timer = setInterval(
      () => {
        pruneSettledReservations(db, { settledForMs: deps.config.STOCK_PRUNE_AFTER }).then(
          (pruned) => pruned.entries > 0 && log.info(pruned, 'pruned settled orders from stock documents'),
          (err: unknown) => log.warn({ err: String(err) }, 'pruning stock documents failed; trying again later'),
        );
      },
      Math.min(60_000, Math.max(1_000, deps.config.STOCK_PRUNE_AFTER)),
    );
    timer.unref();
    void running.finally(() => clearInterval(timer));
    // Orders whose saga ended without an outcome (terminated, timed out) are found and settled here.
    const sweeper = startSettlementSweeper({ connection: deps.connection, config: deps.config, db, log });
    void running.finally(() => sweeper.stop());
  }
  const mode = setsCurrentVersion(deps.config);
  const current =
    mode === 'off'
      ? Promise.resolve('off' as const)
      : toleratingSlowRouting(
          makeCurrentVersion(deps.connection, {
            namespace: deps.config.TEMPORAL_NAMESPACE,
            deploymentName: deps.config.WORKER_DEPLOYMENT_NAME,
            buildId: buildIdOfWorker(worker),
            onlyIfNone: mode === 'first',
          }),
          deps.log ?? createLogger('worker', deps.config.LOG_LEVEL),
        );
  return { running, current };
}

/**
 * A build that is current while its routing change still propagates serves its tasks all the same:
 * the worker runs on and says so, rather than exit and be restarted into the same wait (a loaded
 * dev server can leave the change in progress for minutes; docs/history.md).
 */
export async function toleratingSlowRouting(
  made: Promise<CurrentVersionOutcome>,
  log: Pick<Logger, 'warn'>,
): Promise<CurrentVersionOutcome | 'propagating'> {
  try {
    return await made;
  } catch (err) {
    if (!(err instanceof RoutingPropagationPendingError)) throw err;
    log.warn({ err: err.message }, 'worker build is current; its routing change is still propagating, running on');
    return 'propagating';
  }
}

/** The build id the worker registered with (createWorker always sets one). */
function buildIdOfWorker(worker: Worker): string {
  const build = worker.options.workerDeploymentOptions?.version.buildId;
  if (!build) throw new Error('the worker has no deployment version');
  return build;
}
