import { composeApi } from '../composition/api';
import { listenHost, loadConfig } from '../config';
import { createLogger } from '../infra/logger';
import { reportReady } from '../infra/ready';
import { startWatchdog } from '../infra/watchdog';
import { createApp } from './app';

async function main() {
  const config = loadConfig();
  const log = createLogger('api');
  const { mongo, connection, parts } = await composeApi(config, log);
  const app = createApp(parts);
  const watchdog = startWatchdog({
    what: 'API',
    servers: {
      mongodb: () => mongo.db.command({ ping: 1 }),
      temporal: () => connection.workflowService.getSystemInfo({}),
    },
    timeoutMs: config.WATCHDOG_TIMEOUT,
    log,
  });
  const host = listenHost(config);
  const server = app.listen(config.PORT, host, () => {
    log.info(
      { port: config.PORT, host },
      `API listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${config.PORT}`,
    );
    reportReady();
  });
  server.on('error', (err) => {
    log.fatal({ err }, 'API could not listen');
    process.exit(1);
  });
  const shutdown = () => {
    watchdog.stop();
    const closeResources = async () => {
      await connection.close();
      await mongo.close();
      log.info('API stopped');
      process.exit(0);
    };
    // void: a failure while closing rejects unhandled, which ends the process with the error.
    server.close(() => void closeResources());
    server.closeAllConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
