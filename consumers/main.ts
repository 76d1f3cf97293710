import { faultInjectionOn, loadConfig } from '../config';
import { ensureEventStoreIndexes } from '../eventstore';
import { createLogger } from '../infra/logger';
import { connectMongo } from '../infra/mongo';
import { reportReady } from '../infra/ready';
import { startConsumers } from './index';

/** The projector process: runs every event-log consumer (notifications and read models). */
async function main() {
  const config = loadConfig();
  const log = createLogger('projector');
  const mongo = await connectMongo(config);
  await ensureEventStoreIndexes(mongo.db);
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
