import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios, scenarioConfig } from '../../scripts/saga-scenarios';
import { startStack, type Stack } from '../helpers/stack';
import { replayFixtures, type Fixture } from './replay-histories';

// The recorded fixtures prove that old sagas replay; this proves that sagas started by today's
// code replay too, on every path, through the same scenarios the fixtures were recorded with.
describe('sagas started by the current code replay on it', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(scenarioConfig);
  });
  afterAll(() => stack?.stop());

  it('runs every saga path through the API and worker, then replays each new history without a determinism violation', { timeout: 180_000 }, async () => {
    const runs: Fixture[] = [];
    // One after another: some paths inject faults that would hit the others.
    for (const scenario of scenarios) {
      const { workflowId } = await scenario.run(stack);
      runs.push({ file: `new ${scenario.name} saga ${workflowId}`, history: await stack.client.workflow.getHandle(workflowId).fetchHistory() });
    }
    expect(runs).toHaveLength(scenarios.length);
    // Today's rejected saga takes the path guarded by patched() (see workflow-change.spec.ts).
    const rejected = runs.find((r) => r.file.startsWith('new rejected '))!;
    expect(rejected.history.events!.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRejection')).toBe(true);
    const failures = await replayFixtures(runs);
    expect(failures.map((f) => f.message)).toEqual([]);
  });
});
