/**
 * `npm start`: the whole system on embedded defaults, in one terminal.
 * Obtains Temporal and MongoDB (see servers/), then runs the worker and the API as supervised
 * child processes, prints the URLs when everything answers, and stops it all on Ctrl-C.
 */
import { writeSync } from 'node:fs';
import path from 'node:path';
import { createApiClient } from '../api/client';
import { ConfigError, loadConfig } from '../config';
import { obtainServers, type Servers } from '../servers';
import { repoRoot } from '../servers/paths';
import { portInUse } from '../servers/run-command';
import { supervise, type ManagedProcess } from './supervisor';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (message: string) => console.log(`[start ${elapsed()}] ${message}`);

/** What this start has brought up, so that stopping (Ctrl-C or a failed start) takes it all down. */
let servers: Servers | undefined;
const children: ManagedProcess[] = [];
let shuttingDown = false;

/** Stops the children and the servers, then exits: 0 after Ctrl-C or SIGTERM, 1 after a failed start. */
async function shutdown(reason: string, exitCode: 0 | 1): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (children.length || servers) say(`${reason}; stopping worker, API and servers`);
  await Promise.allSettled(children.map((c) => c.stop()));
  await servers?.stop();
  say('stopped');
  process.exit(exitCode);
}
process.on('SIGINT', () => void shutdown('SIGINT received', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM received', 0));

async function main() {
  const config = loadConfig();
  if (await portInUse(config.PORT)) {
    throw new Error(`Port ${config.PORT} (PORT) is already in use; stop what runs there or set PORT to another port.`);
  }
  say('obtaining Temporal and MongoDB (the first run builds them; later runs reuse the builds)');
  servers = await obtainServers(config, 'persistent', (m) => say(m));
  if (shuttingDown) return;
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: servers.temporal.address,
    TEMPORAL_NAMESPACE: servers.temporal.namespace,
    MONGODB_URI: servers.mongo.uri,
  };
  for (const [name, entry] of [
    ['worker', 'workers/main.ts'],
    ['api', 'api/main.ts'],
    ['projector', 'readside/main.ts'],
  ] as const) {
    children.push(supervise(name, path.join(repoRoot, entry), env, say));
  }
  await Promise.all(children.map((c) => c.ready));
  const health = await waitForHealth(config.PORT);
  const uiUrl = servers.temporal.uiUrl ?? `(no Web UI: using ${servers.temporal.address})`;
  console.log(
    [
      '',
      `ready in ${elapsed()}`,
      `  API             http://localhost:${config.PORT}   (GET /health -> ${health})`,
      `  Console         http://localhost:${config.PORT}/console/   (the operator console; it asks for an API key)`,
      `  Temporal Web UI ${uiUrl}`,
      `  Temporal        ${servers.temporal.address}   (source: ${servers.temporal.source})`,
      `  MongoDB         ${servers.mongo.uri}   (source: ${servers.mongo.source})`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
}

async function waitForHealth(port: number): Promise<string> {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  const api = createApiClient({ baseUrl: `http://127.0.0.1:${port}` });
  while (Date.now() < deadline) {
    try {
      const { data, error, response } = await api.GET('/health');
      last = `${response.status} ${JSON.stringify(data ?? error)}`;
      if (response.ok) return last;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`API health did not turn 200 within 60 s; last answer: ${last}`);
}

main().catch((err) => {
  // Written synchronously: the shutdown below exits the process, which could drop a buffered
  // write to a pipe, and the reason would be lost.
  writeSync(
    2,
    `${err instanceof ConfigError ? err.message : `npm start failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`}\n`,
  );
  // A start that failed exits 1 (a script or a process manager must see it), after stopping what
  // it had started; a stop that hangs does not keep it from exiting.
  setTimeout(() => process.exit(1), 20_000).unref();
  void shutdown('start failed', 1);
});
