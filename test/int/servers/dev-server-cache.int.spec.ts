import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../servers/run-command';
import { DEV_SERVER_DYNAMIC_CONFIG, devServerDynamicConfigArgs } from '../../../servers/temporal-dynamic-config';
import { wheelTemporalCli } from '../../../servers/temporal-wheel';
import { waitFor } from '../../helpers/wait-for';

/**
 * The embedded dev server keeps workflows' mutable state in one host-level cache. Its own default
 * bound (8,096 entries) keeps every completed saga of a long run in memory; the platform starts it
 * with the bound in DEV_SERVER_DYNAMIC_CONFIG. A setting the server does not know is ignored
 * without a word, so this reads the bound the server reports in its metrics.
 */
describe('the embedded Temporal dev server', () => {
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('bounds its mutable-state cache as configured', { timeout: 60_000 }, async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    server = spawn(
      wheelTemporalCli,
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--metrics-port',
        String(metricsPort),
        '--log-level',
        'error',
        ...devServerDynamicConfigArgs(),
      ],
      { stdio: 'ignore' },
    );
    const bound = await waitFor('the dev server to report its mutable-state cache', async () => {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      const match = /^cache_size\{cache_type="mutablestate"[^}]*\} (\d+)$/m.exec(text);
      // Reported as 0 until the history service has built the cache.
      return match && Number(match[1]) > 0 ? Number(match[1]) : undefined;
    });
    expect(bound).toBe(DEV_SERVER_DYNAMIC_CONFIG['history.hostLevelCacheMaxSize']);
  });
});
