import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { faultInjectionOn, type Config } from '../config';
import { createActivities } from '../activities';
import { dataConverter } from '../infra/data-converter';
import { createLogger, type Logger } from '../infra/logger';
import { tracing } from '../infra/tracing';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ObservabilityInterceptor } from './activity-interceptor';
import { FaultInjectionInterceptor } from './fault-interceptor';
import { createFaults } from '../infra/faults';
import type { Context } from '@temporalio/activity';

/** Builds the order worker: the saga workflow plus every service's activities on one task queue. */
export async function createWorker(deps: { connection: NativeConnection; config: Config; db: Db; log?: Logger; spanExporter?: SpanExporter }): Promise<Worker> {
  const log = deps.log ?? createLogger('worker', deps.config.LOG_LEVEL);
  const plugin = tracing(deps.config, 'order-worker', deps.spanExporter);
  const faults = faultInjectionOn(deps.config) ? createFaults(deps.db) : null;
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.config.TASK_QUEUE,
    // An explicit file path (not require.resolve) so the same code runs under tsx and vitest.
    workflowsPath: path.resolve(__dirname, '..', 'workflows', 'index.ts'),
    activities: createActivities({ db: deps.db }),
    dataConverter: dataConverter(deps.config),
    interceptors: {
      activity: [
        (ctx) => ({ inbound: new ObservabilityInterceptor(ctx, log) }),
        // Inside the observability one, so an injected failure is logged and measured like a real one.
        ...(faults ? [(ctx: Context) => ({ inbound: new FaultInjectionInterceptor(ctx, faults) })] : []),
      ],
    },
    plugins: plugin ? [plugin] : [],
  });
}
