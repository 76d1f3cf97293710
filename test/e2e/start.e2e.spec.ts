import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiClient, dataOf } from '../../api/client';
import { freePort } from '../../servers/run-command';
import { descendants, isAlive } from '../helpers/processes';
import { waitFor } from '../helpers/wait-for';

const root = path.resolve(__dirname, '..', '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** Runs the start script the way `npm start` does, in its own process group like a terminal job. */
function startSystem(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

/** The line npm start prints once everything answers; at a line's start, since "already in use" contains "ready in". */
const READY = /^ready in \d/m;

/** Waits for the ready line; a start that ended or timed out fails with its exit and its output. */
async function waitForReady(started: Started, what: string): Promise<void> {
  await waitFor(
    what,
    () => {
      if (started.child.exitCode !== null) throw new Error(`npm start exited with code ${started.child.exitCode}`);
      return READY.test(started.output());
    },
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- output ---\n${started.output()}`);
  });
}

/** Ctrl-C in a terminal sends SIGINT to the whole foreground process group. */
async function pressCtrlC(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
  process.kill(-started.child.pid!, 'SIGINT');
  return exited;
}

describe('npm start', () => {
  let running: Started | undefined;
  afterAll(() => {
    if (running?.child.exitCode === null) process.kill(-running.child.pid!, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything on embedded defaults, prints both URLs, keeps data across a restart and leaves no process behind on Ctrl-C', async () => {
    const [port, temporalPort, uiPort, mongoPort, metricsPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      MONGODB_PORT: String(mongoPort),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_METRICS_URLS: `http://127.0.0.1:${metricsPort}/metrics`,
    };
    // The embedded defaults: no existing servers given.
    delete env.TEMPORAL_ADDRESS;
    delete env.MONGODB_URI;
    const api = createApiClient({ baseUrl: `http://127.0.0.1:${port}` });

    running = startSystem(env);
    await waitForReady(running, '"ready" from npm start');
    expect(running.output()).toContain(`API             http://localhost:${port}`);
    expect(running.output()).toContain(`Temporal Web UI http://localhost:${uiPort}`);
    expect(running.output()).toContain(`Console         http://localhost:${port}/console/`);
    const page = await fetch(`http://127.0.0.1:${port}/console/`);
    expect(page.status, 'npm start builds the console and the API serves it').toBe(200);
    expect(await page.text()).toContain('<script');

    expect((await api.GET('/health')).data).toEqual({ temporal: 'up', mongodb: 'up' });
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<html');

    expect(
      (await api.POST('/inventory', { body: { sku: 'SKU-START', quantity: 5, price: 250 } })).response.status,
    ).toBe(200);
    const opened = await api.POST('/accounts', { body: { owner: 'start-test', initialDeposit: 1_000 } });
    expect(opened.response.status).toBe(201);
    const account = opened.data!;
    const ordered = await api.POST('/orders', {
      body: {
        customerId: 'c-start',
        accountId: account.accountId,
        items: [{ sku: 'SKU-START', quantity: 1 }],
        shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
      },
    });
    expect(ordered.response.status).toBe(202);
    const placed = ordered.data!;
    const theOrder = { params: { path: { orderId: placed.orderId } } };
    await waitFor(
      'the order to complete',
      async () => (await api.GET('/orders/{orderId}', theOrder)).data?.status === 'COMPLETED',
      30_000,
    );
    // The projector process is part of the system: the confirmation email goes out.
    await waitFor(
      'the confirmation email',
      async () =>
        (await dataOf(api.GET('/emails', { params: { query: { orderId: placed.orderId } } }))).emails.length === 2,
      30_000,
    );

    const processes = descendants(running.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(5); // servers, worker, API, projector
    expect(await pressCtrlC(running)).toBe(0);
    await waitFor('every child process to exit', () => processes.every((pid) => !isAlive(pid)), 20_000).catch(() => {
      throw new Error(`still running after Ctrl-C: ${processes.filter(isAlive).join(', ')}`);
    });

    // Second start on the same data folder: the order and its workflow history are still there.
    running = startSystem(env);
    await waitForReady(running, '"ready" from the second npm start');
    const again = await api.GET('/orders/{orderId}', theOrder);
    expect(again.data).toMatchObject({ status: 'COMPLETED', total: 250 });
    expect((await api.GET('/accounts/{id}', { params: { path: { id: account.accountId } } })).data?.balance).toBe(750);
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    // The read model can show COMPLETED a moment before the workflow's last task is done; a saga
    // interrupted there by Ctrl-C finishes once the restarted worker picks it up.
    const handle = new Client({ connection }).workflow.getHandle(placed.workflowId);
    await waitFor(
      'the saga to be COMPLETED in Temporal',
      async () => (await handle.describe()).status.name === 'COMPLETED',
      30_000,
    );
    await connection.close();
    const second = descendants(running.child.pid!);
    expect(await pressCtrlC(running)).toBe(0);
    await waitFor(
      'every child process to exit after the second run',
      () => second.every((pid) => !isAlive(pid)),
      20_000,
    );
  }, 300_000);
});
