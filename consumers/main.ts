import { openDatabase } from '../composition';
import { faultInjectionOn, loadConfig } from '../config';
import { createLogger } from '../infra/logger';
import { reportReady } from '../infra/ready';
import { startConsumers } from './index';

/** The projector process: runs every event-log consumer (notifications and read models). */
async function main() {
  const config = loadConfig();
  const log = createLogger('projector');
  const mongo = await openDatabase(config);
  const consumers = await startConsumers(mongo.db, log, { faultInjection: faultInjectionOn(config) });
  log.info('projector started: email notifications and read-model projections');
  reportReady();
  const shutdown = async () => {
    await consumers.stop();
    await mongo.close();
    log.info('projector stopped');
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
