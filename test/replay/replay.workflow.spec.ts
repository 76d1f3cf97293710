import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../scripts/saga-scenarios';
import { historiesDir, loadFixtures, replayFixtures } from './replay-histories';

// Needs no server: the replayer runs the workflow code against recorded histories in-process.
describe('recorded saga histories replay on the current workflow code', () => {
  it('replays every history in test/fixtures/histories without a determinism violation', async () => {
    const fixtures = loadFixtures();
    expect(fixtures.length).toBeGreaterThanOrEqual(scenarios.length);
    const failures = await replayFixtures(fixtures);
    if (failures.length > 0) {
      expect.fail(
        `${failures.length} recorded saga histor${failures.length === 1 ? 'y does' : 'ies do'} not replay: the workflow change would break running sagas.\n` +
          'Guard the change with patched() (see docs/workflow-changes.md).\n\n' +
          failures.map((f) => f.message).join('\n\n'),
      );
    }
  });

  it('has a recorded history for every saga path', () => {
    const missing = scenarios.map((s) => s.name).filter((name) => !existsSync(path.join(historiesDir, `${name}.json`)));
    expect(missing, `record them with: npm run record-histories -- --only ${missing.join(',')}`).toEqual([]);
  });
});
