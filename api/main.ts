import { Client, Connection } from '@temporalio/client';
import { listenHost, loadConfig, temporalAddress } from '../config';
import { createLogger } from '../infra/logger';
import { connectMongo } from '../infra/mongo';
import { ensureEventStoreIndexes } from '../eventstore';
import { reportReady } from '../infra/ready';
import { createApp } from './app';
import { ensureApiIndexes } from './indexes';
import { dataConverter } from '../infra/data-converter';

async function main() {
  const config = loadConfig();
  const log = createLogger('api');
  const mongo = await connectMongo(config);
  await ensureEventStoreIndexes(mongo.db);
  await ensureApiIndexes(mongo.db);
  // Lazy: the API starts (and /health reports the outage) even when Temporal is briefly away.
  const connection = Connection.lazy({ address: temporalAddress(config) });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) });
  const app = createApp({ client, db: mongo.db, config, log });
  const host = listenHost(config);
  const server = app.listen(config.PORT, host, () => {
    log.info({ port: config.PORT, host }, `API listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${config.PORT}`);
    reportReady();
  });
  server.on('error', (err) => {
    log.fatal({ err }, 'API could not listen');
    process.exit(1);
  });
  const shutdown = () => {
    server.close(async () => {
      await connection.close();
      await mongo.close();
      log.info('API stopped');
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
