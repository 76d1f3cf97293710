import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { historiesDir } from './replay-histories';
import { address, fastSaga, useSagaStack } from '../helpers/saga';

const root = path.resolve(__dirname, '..', '..');
const replay = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });

/** `npm run replay`: the command operators and the deploy gate use to check histories against this code. */
describe('npm run replay', () => {
  const t = useSagaStack(fastSaga);

  // Bundling the workflows and replaying every recorded history takes minutes on a loaded machine.
  it('replays a folder of histories and says how many replayed', { timeout: 300_000 }, () => {
    const run = replay([historiesDir]);
    const count = readdirSync(historiesDir).filter((f) => f.endsWith('.json')).length;
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`${count} replayed, 0 failed`);
  });

  it('refuses what is not a history with a usage error naming it', () => {
    const dir = path.join(root, 'test-results', 'replay-command');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'not-a-history.json');
    writeFileSync(file, JSON.stringify({ hello: 'world' }));
    const run = replay([file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('has no "events"');
    expect(replay([]).status).toBe(2);
    expect(replay(['--query']).status).toBe(2);
  });

  it(
    'replays the histories a visibility query lists on a running server, named by workflow id',
    { timeout: 300_000 },
    async () => {
      const accountId = await t.h.openAccount(10_000);
      const sku = t.h.unique('REPLAY-Q');
      await t.h.stock(sku, 5, 100);
      const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }], shippingAddress: address });
      await t.h.result(orderId);
      const run = replay(['--query', `WorkflowId = 'order-${orderId}'`], {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: t.stack.config.TEMPORAL_NAMESPACE,
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('replay: 1 history');
      expect(run.stdout).toContain('1 replayed, 0 failed');
    },
  );
});
