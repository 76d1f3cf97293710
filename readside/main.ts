import { readSideParts } from '../composition/readside';
import { openDatabase } from '../composition/shared';
import { breakerSettings, faultInjectionOn, listenHost, loadConfig } from '../config';
import { createLogger } from '../infra/logger';
import { reportReady } from '../infra/ready';
import { serveHealth } from '../infra/health-server';
import { startWatchdog } from '../infra/watchdog';
import { projectorHealth } from './health';
import { startConsumers } from './consumers';

/** The projector process: runs every event-log consumer (notifications and read models). */
async function main() {
  const config = loadConfig();
  const log = createLogger('projector');
  const mongo = await openDatabase(config);
  const watchdog = startWatchdog({
    what: 'projector',
    servers: { mongodb: () => mongo.db.command({ ping: 1 }) },
    timeoutMs: config.WATCHDOG_TIMEOUT,
    log,
  });
  const { db, store } = readSideParts(mongo.db);
  const consumers = await startConsumers(
    { db, store, log },
    {
      faultInjection: faultInjectionOn(config),
      breakers: config.BREAKERS === 'on' ? breakerSettings(config) : 'off',
    },
  );
  const checks = projectorHealth({
    db,
    store,
    stallAfterMs: config.PROJECTION_STALL_AFTER,
    holds: (name) => consumers.projector.live(name) !== undefined,
  });
  const health = config.PROJECTOR_HEALTH_PORT
    ? await serveHealth({
        port: config.PROJECTOR_HEALTH_PORT,
        host: listenHost(config),
        log,
        what: 'projector',
        checks,
      })
    : undefined;
  log.info('projector started: email notifications and read-model projections');
  reportReady();
  const shutdown = async () => {
    watchdog.stop();
    await health?.close();
    await consumers.stop();
    await mongo.close();
    log.info('projector stopped');
    process.exit(0);
  };
  // void: a failure while shutting down rejects unhandled, which ends the process with the error.
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
