import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');

describe('npm run drill -- --quick', () => {
  it('keeps every promise while processes are killed, servers restart and services fail: 0 invariant violations', () => {
    // The drill starts (and restarts) servers of its own, so it must not be pointed at the run's.
    const env = { ...process.env };
    delete env.TEMPORAL_ADDRESS;
    delete env.MONGODB_URI;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/drill.ts', '--quick'], { cwd: root, env, encoding: 'utf8', timeout: 600_000 });
    expect(run.status, `${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`).toBe(0);
    const report = JSON.parse(readFileSync(path.join(root, 'test-results', 'drill-report.json'), 'utf8'));
    expect(report.invariantViolations).toBe(0);
    expect(report.sagas).toBe(30);
    expect(report.faultsInjected).toEqual(expect.arrayContaining(['SIGKILL worker', 'SIGKILL projector', 'SIGKILL api', 'MongoDB stopped for 3 s', 'Temporal dev server restarted']));
    expect(report.processRestarts.worker).toBeGreaterThanOrEqual(1);
    expect(report.processRestarts.projector).toBeGreaterThanOrEqual(1);
    expect(report.processRestarts.api).toBeGreaterThanOrEqual(1);
    for (const check of Object.values(report.checks) as Array<{ ok: boolean }>) expect(check.ok).toBe(true);
  }, 660_000);
});
