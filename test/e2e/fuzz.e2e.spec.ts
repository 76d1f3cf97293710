import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');

describe('npm run fuzz', () => {
  it('fuzzes every endpoint from the OpenAPI document with schemathesis (all checks) plus the hostile cases: no failure, no 5xx, no side effects from rejected requests', () => {
    const env = { ...process.env };
    // The script obtains its own servers through the same resolution order (these are the run's).
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fuzz.ts', '--examples', '5'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 420_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('PASSED: 0 server errors, 0 side effects from rejected requests');
    const report = JSON.parse(readFileSync(path.join(root, 'test-results', 'fuzz-report.json'), 'utf8'));
    expect(report.serverErrors).toBe(0);
    expect(report.eventsWrittenByRejectedRequests).toBe(0);
    expect(report.hostileUnexpected).toEqual([]);
    expect(report.requests).toBeGreaterThan(300);
    expect(report.schemathesis.ok).toBe(true);
  }, 480_000);

  it('fuzzes the production-mode API (API keys, encrypted payloads) with an operator key: every schemathesis check passes', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fuzz.ts', '--examples', '5', '--production'], {
      cwd: root,
      env: { ...process.env },
      encoding: 'utf8',
      timeout: 420_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('production mode');
    const report = JSON.parse(readFileSync(path.join(root, 'test-results', 'fuzz-report.json'), 'utf8'));
    expect(report.schemathesis.ok).toBe(true);
    expect(report.serverErrors).toBe(0);
    expect(report.eventsWrittenByRejectedRequests).toBe(0);
    // Authenticated requests got through (not only 401s), and unauthenticated ones were refused.
    expect(report.byStatus['200']).toBeGreaterThan(0);
    expect(report.byStatus['401']).toBeGreaterThan(0);
    expect(report.byStatus['429'] ?? 0).toBe(0);
  }, 480_000);
});
