import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { supervise } from '../../scripts/supervisor';
import { waitFor } from '../helpers/wait-for';

const root = path.resolve(__dirname, '..', '..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'start-failures-'));

/** Runs `npm start` as a user would, to its end, with a deadline. */
function npmStart(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not exit within 60 s\n--- output ---\n${output}`));
    }, 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** A start that fails must not be mistaken for a clean stop by a script, CI or a process manager. */
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm start that cannot start', () => {
  it('exits 1 with the configuration problems when the configuration is invalid', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
    delete env.API_KEYS;
    delete env.PAYLOAD_KEYS;
    const run = await npmStart(env);
    expect(run.output).toContain('Invalid configuration');
    expect(run.output).toContain('API_KEYS is required when NODE_ENV=production');
    expect({ code: run.code, signal: run.signal }, run.output).toEqual({ code: 1, signal: null });
  }, 90_000);

  it('exits 1 naming the port when the API port is already in use', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const run = await npmStart({ ...process.env, PORT: String(port) });
      expect(run.output).toContain(`Port ${port} (PORT) is already in use`);
      expect({ code: run.code, signal: run.signal }, run.output).toEqual({ code: 1, signal: null });
    } finally {
      taken.close();
    }
  }, 90_000);
});

describe('supervised process', () => {
  it('that exits before it is ever ready fails its start after the attempts it is given, and is not restarted again', async () => {
    const entry = path.join(scratch, 'cannot-start.mjs');
    writeFileSync(entry, "console.error('listen EADDRINUSE (simulated)');\nprocess.exit(3);\n");
    const lines: string[] = [];
    const child = supervise('cannot-start', entry, process.env, (m) => lines.push(m), { startAttempts: 2 });
    await expect(child.ready).rejects.toThrow(
      /cannot-start could not start: it exited 2 times without becoming ready \(last: code 3\)/,
    );
    expect(child.starts()).toBe(2);
    expect(lines.at(-1)).toMatch(/not restarting it/);
    await child.stop();
  }, 30_000);

  it('that was ready once is restarted after it dies, however often', async () => {
    const entry = path.join(scratch, 'ready-then-dies.mjs');
    writeFileSync(entry, 'process.send({ ready: true }, () => process.exit(1));\n');
    const child = supervise('ready-then-dies', entry, process.env, () => {}, { startAttempts: 1 });
    await child.ready;
    await waitFor('a restart after the crash', () => child.starts() >= 2, 20_000);
    await child.stop();
  }, 30_000);
});
