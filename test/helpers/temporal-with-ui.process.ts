/**
 * A Temporal dev server with the Web UI, in a process of its own (see temporal-with-ui.ts): obtained
 * through the same resolution order as every other server (servers/temporal.ts), on random ports.
 * Prints one JSON line with its addresses; stops the server and exits when stdin closes, which is
 * also what happens when the parent dies.
 */
import { loadConfig } from '../../config';
import { freePort } from '../../servers/run-command';
import { obtainTemporal } from '../../servers/temporal';

async function main() {
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS; // start one; never reuse the shared server, which has no UI
  const uiPort = await freePort();
  const server = await obtainTemporal({
    config: loadConfig(env),
    mode: 'ephemeral',
    progress: (m) => console.error(m),
    uiPort,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch((err) => console.error(err));
    process.exit(0);
  };
  // void: stop catches the server's own failure and then exits.
  const stopNow = () => void stop();
  process.stdin.on('end', stopNow).on('close', stopNow).resume();
  process.once('SIGTERM', stopNow);
  process.once('SIGINT', stopNow);
  console.log(JSON.stringify({ address: server.address, uiUrl: `http://127.0.0.1:${uiPort}`, source: server.source }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
