import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig, temporalAddress } from '../config';
import { createLogger } from '../infra/logger';
import { connectMongo } from '../infra/mongo';
import { ensureEventStoreIndexes } from '../eventstore';
import { reportReady } from '../infra/ready';
import { registerSearchAttributes } from '../infra/search-attributes';
import { createWorker } from './worker';

async function main() {
  const config = loadConfig();
  const log = createLogger('worker');
  // The SDK's own INFO lines (bundle statistics, state changes) drown our logs; keep its warnings.
  Runtime.install({ logger: new DefaultLogger(config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'DEBUG' : 'WARN') });
  const mongo = await connectMongo(config);
  await ensureEventStoreIndexes(mongo.db);
  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const worker = await createWorker({ connection, config, db: mongo.db });
  log.info({ taskQueue: config.TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
  reportReady();
  // Worker.run() resolves after SIGINT/SIGTERM once in-flight tasks are done (the SDK installs the handlers).
  await worker.run();
  await connection.close();
  await mongo.close();
  log.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
