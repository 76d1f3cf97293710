import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadConfig } from '../../config';
import { WATCHDOG_EXIT_CODE } from '../../infra/watchdog';
import { obtainMongo, type MongoServer } from '../../servers/mongodb';
import { freePort } from '../../servers/run-command';
import { isAlive } from '../helpers/processes';
import { http } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const root = path.resolve(__dirname, '..', '..');
const WATCHDOG_MS = 3_000;

interface Started {
  name: string;
  child: ChildProcess;
  /** Where its health answers (the API's own port, the worker's and the projector's health ports). */
  healthUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

/** One of the three entry points as npm start runs it, against this file's own MongoDB. */
async function start(name: string, entry: string, env: NodeJS.ProcessEnv, healthUrl: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  await Promise.race([
    new Promise<void>((resolve) => child.once('message', () => resolve())),
    exited.then(({ code }) => Promise.reject(new Error(`${name} exited early (${code}):\n${output}`))),
  ]);
  return { name, child, healthUrl, output: () => output, exited };
}

/** How long the fault lasts: the outage itself, not a wait for something to happen. */
const holdFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the watchdog in the API, the worker and the projector', () => {
  let mongo: MongoServer;
  const processes: Started[] = [];

  beforeAll(async () => {
    // A MongoDB of this file's own: freezing the run's would stall every other test file.
    const env = { ...process.env };
    delete env.MONGODB_URI;
    mongo = await obtainMongo({ config: loadConfig(env), mode: 'ephemeral', progress: () => {} });
    if (!mongo.freeze) throw new Error(`cannot freeze a MongoDB from ${mongo.source}`);
    const suffix = randomUUID().slice(0, 8);
    const [apiPort, workerHealthPort, projectorHealthPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const common: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      MONGODB_URI: mongo.uri,
      MONGODB_DB: `watchdog_${suffix}`,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TASK_QUEUE: `watchdog-${suffix}`,
      WORKER_DEPLOYMENT_NAME: `watchdog-${suffix}`,
      WORKER_METRICS_PORT: '0',
      PORT: String(apiPort),
      WORKER_HEALTH_PORT: String(workerHealthPort),
      PROJECTOR_HEALTH_PORT: String(projectorHealthPort),
      WATCHDOG_TIMEOUT: `${WATCHDOG_MS}ms`,
      LOG_LEVEL: 'warn',
    };
    processes.push(
      ...(await Promise.all([
        start('API', 'api/main.ts', common, `http://127.0.0.1:${apiPort}`),
        start('worker', 'workers/main.ts', common, `http://127.0.0.1:${workerHealthPort}`),
        start('projector', 'readside/main.ts', common, `http://127.0.0.1:${projectorHealthPort}`),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    mongo?.freeze?.(false);
    for (const p of processes) if (isAlive(p.child.pid!)) p.child.kill('SIGKILL');
    await mongo?.stop();
  });

  const logs = () => processes.map((p) => `--- ${p.name} ---\n${p.output().slice(-3_000)}`).join('\n');

  it('rides out a MongoDB freeze shorter than WATCHDOG_TIMEOUT: every process notices, none exits, all answer healthy past the timeout', async () => {
    mongo.freeze!(true);
    const frozenAt = Date.now();
    try {
      await holdFor(WATCHDOG_MS / 2);
    } finally {
      mongo.freeze!(false);
    }
    await waitFor(
      'every process to answer healthy, alive, well past the watchdog timeout',
      async () => {
        if (Date.now() - frozenAt < WATCHDOG_MS + 2_000) return false;
        // Raw: the worker's and the projector's health endpoints are no part of the API's contract.
        for (const p of processes)
          if (!isAlive(p.child.pid!) || (await http(p.healthUrl, 'GET', '/health')).status !== 200) return false;
        return true;
      },
      30_000,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs()}`);
    });
    for (const p of processes) {
      expect(p.output(), `${p.name} noticed the outage`).toMatch(/watchdog: mongodb does not answer/);
      expect(p.output(), `${p.name} did not give up`).not.toMatch(/has not reached/);
    }
  }, 60_000);

  it('ends every process with a line naming MongoDB once it has been frozen for longer than WATCHDOG_TIMEOUT', async () => {
    mongo.freeze!(true);
    const frozenAt = Date.now();
    try {
      const exits = await Promise.race([
        Promise.all(processes.map((p) => p.exited)),
        holdFor(WATCHDOG_MS + 20_000).then(() =>
          Promise.reject(
            new Error(`not every process exited within ${WATCHDOG_MS + 20_000} ms of the freeze\n${logs()}`),
          ),
        ),
      ]);
      processes.forEach((p, i) => {
        const { code, at } = exits[i]!;
        expect(code, `${p.name}'s exit code\n${logs()}`).toBe(WATCHDOG_EXIT_CODE);
        expect(at - frozenAt, `${p.name} gave up no sooner than the timeout`).toBeGreaterThanOrEqual(WATCHDOG_MS - 500);
        expect(p.output()).toMatch(
          new RegExp(
            `watchdog: ${p.name} has not reached mongodb for \\d+\\.\\d s \\(WATCHDOG_TIMEOUT 3\\.0 s\\); exiting so that its supervisor restarts it`,
          ),
        );
      });
    } finally {
      mongo.freeze!(false);
    }
  }, 60_000);
});
