import { Runtime } from '@temporalio/worker';
import { masterKeysFor, openDatabase } from '../composition/shared';
import { workerConnection, workerParts } from '../composition/worker';
import { breakerSettings, listenHost, loadConfig, setsCurrentVersion } from '../config';
import { createLogger } from '../infra/logger';
import { pinoTemporalLogger } from '../infra/temporal-logger';
import { reportReady } from '../infra/ready';
import { serveHealth } from '../infra/health-server';
import { startWatchdog } from '../infra/watchdog';
import { createWorker, runWorker } from './worker';
import { buildId } from './build-id';
import { workerHealth } from './health';

async function main() {
  const config = loadConfig();
  const log = createLogger('worker');
  // The SDK's logs (and workflow code's `log` calls) go to pino; its own INFO chatter (bundle
  // statistics, state changes) is kept out unless debugging. Its metrics, with the saga's step
  // durations and retries, are served for Prometheus on WORKER_METRICS_PORT.
  const sdkLog = createLogger('worker', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const metrics = config.WORKER_METRICS_PORT
    ? {
        metrics: {
          prometheus: {
            bindAddress: `0.0.0.0:${config.WORKER_METRICS_PORT}`,
            countersTotalSuffix: false,
            useSecondsForDurations: true,
          },
        },
      }
    : undefined;
  try {
    Runtime.install({ logger: pinoTemporalLogger(sdkLog), telemetryOptions: metrics });
  } catch (err) {
    // A busy metrics port must not keep orders from being processed: run without the exporter.
    log.error(
      { err: String(err), port: config.WORKER_METRICS_PORT },
      'worker metrics endpoint unavailable; running without it',
    );
    Runtime.install({ logger: pinoTemporalLogger(sdkLog) });
  }
  const mongo = await openDatabase(config);
  const connection = await workerConnection(config);
  const { activities, breakers } = workerParts({
    db: mongo.db,
    masterKeys: masterKeysFor(config, log),
    breakers: breakerSettings(config),
  });
  const worker = await createWorker({ connection, config, db: mongo.db, activities, breakers, log });
  // Started once the workflow bundle is built: bundling holds the event loop for seconds at a time.
  const watchdog = startWatchdog({
    what: 'worker',
    servers: {
      mongodb: () => mongo.db.command({ ping: 1 }),
      temporal: () => connection.workflowService.getSystemInfo({}),
    },
    timeoutMs: config.WATCHDOG_TIMEOUT,
    log,
  });
  const health = config.WORKER_HEALTH_PORT
    ? await serveHealth({
        port: config.WORKER_HEALTH_PORT,
        host: listenHost(config),
        log,
        what: 'worker',
        checks: workerHealth({ connection, db: mongo.db, worker }),
      })
    : undefined;
  // Worker.run() resolves after SIGINT/SIGTERM once in-flight tasks are done (the SDK installs the handlers).
  const { running, current } = runWorker(worker, { connection, config, db: mongo.db, log });
  await current;
  log.info(
    {
      taskQueue: config.TASK_QUEUE,
      namespace: config.TEMPORAL_NAMESPACE,
      deployment: config.WORKER_DEPLOYMENT_NAME,
      buildId: buildId(config),
      current: setsCurrentVersion(config),
    },
    'worker started',
  );
  reportReady();
  await running;
  // The steps' successes this process still holds go to the shared windows before the client closes.
  await breakers.stop();
  watchdog.stop();
  await health?.close();
  await connection.close();
  await mongo.close();
  log.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
