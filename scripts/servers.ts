/**
 * Starts (or provisions) the embedded servers on their own.
 *   npm run servers                     - start both, print their addresses, stop on Ctrl-C
 *   npm run servers -- --provision-only - build/fetch what is missing, including the time-skipping
 *                                         test server, and exit (used by CI)
 */
import { loadConfig } from '../config';
import { obtainServers } from '../servers';
import { provisionTimeSkippingServer } from '../servers/temporal-test-server';

async function main() {
  const config = loadConfig();
  const provisionOnly = process.argv.includes('--provision-only');
  const started = Date.now();
  const servers = await obtainServers(config, 'ephemeral', (m) => console.log(`[servers] ${m}`));
  if (provisionOnly) {
    await servers.stop();
    // The workflow tests' time-skipping server (Temporal's Java test server, from Maven Central).
    await provisionTimeSkippingServer((m) => console.log(`[servers] ${m}`));
    console.log(`[servers] provisioned in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return;
  }
  console.log(`TEMPORAL_ADDRESS=${servers.temporal.address}`);
  console.log(`MONGODB_URI=${servers.mongo.uri}`);
  const stop = async () => {
    await servers.stop();
    process.exit(0);
  };
  // void: a failure while stopping rejects unhandled, which ends the process with the error.
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
