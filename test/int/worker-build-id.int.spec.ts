import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'build-id-'));
/** Not part of a checkout's code: dependencies are linked in below, the rest is local state. */
const NOT_COPIED = new Set(['node_modules', '.git', '.tools', 'data']);

/** A checkout of this working tree at `dir`: its files copied, node_modules hard-linked (fast, no space). */
function checkout(dir: string): string {
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(root, dir, {
    recursive: true,
    filter: (src) => !NOT_COPIED.has(path.relative(root, src).split(path.sep)[0]!),
  });
  execFileSync('cp', ['-al', path.join(root, 'node_modules'), path.join(dir, 'node_modules')]);
  return dir;
}

/** Changes a file of a checkout without touching the hard-linked original it may share. */
function change(file: string, append: string) {
  const content = readFileSync(file, 'utf8');
  rmSync(file);
  writeFileSync(file, content + append);
}

/** The build id a worker started from `dir` would register, computed by a process whose working directory is `cwd` (relative to `dir`). */
async function buildIdOf(dir: string, cwd = '.'): Promise<string> {
  const script = `require(${JSON.stringify(path.join(dir, 'workers', 'build-id.ts'))}).deriveBuildId({}).then((id) => console.log('BUILD ' + id))`;
  const env = { ...process.env };
  delete env.WORKER_BUILD_ID;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: path.join(dir, cwd),
    env,
    timeout: 180_000,
  });
  const id = /^BUILD (\S+)$/m.exec(stdout)?.[1];
  if (!id) throw new Error(`no build id printed; output: ${stdout}`);
  return id;
}

describe('the worker build id', () => {
  let a: string;
  let b: string;
  let idA: string;
  let idB: string;

  beforeAll(async () => {
    // Two checkouts at different paths and depths, started from different directories.
    a = checkout(path.join(scratch, 'a', 'checkout'));
    b = checkout(path.join(scratch, 'b', 'deeper', 'elsewhere'));
    [idA, idB] = await Promise.all([buildIdOf(a), buildIdOf(b, 'workers')]);
  }, 400_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is the same for two checkouts of the same code at different paths, whatever directory the process starts in', () => {
    expect(idA).toMatch(/^\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    expect(idB).toBe(idA);
  });

  it('changes when a library bundled into the workflow code changes, though it is outside workflows/ and domain/', async () => {
    // `ms` turns the SDK's duration strings into milliseconds for timers and timeouts inside workflows.
    change(path.join(a, 'node_modules', 'ms', 'dist', 'index.cjs'), '\n;module.exports.changed = true;\n');
    const changed = await buildIdOf(a);
    expect(changed).not.toBe(idA);
    expect(changed).toMatch(/^\d+\.\d+\.\d+-[0-9a-f]{12}$/);
  }, 200_000);

  it('does not change when code outside the workflow bundle changes', async () => {
    appendFileSync(path.join(b, 'activities', 'index.ts'), '\n// a change to the activities only\n');
    expect(await buildIdOf(b, 'workers')).toBe(idB);
  }, 200_000);
});
