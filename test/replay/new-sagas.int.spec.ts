import { randomBytes } from 'node:crypto';
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

  it(
    'runs every saga path through the API and worker, then replays each new history without a determinism violation',
    { timeout: 180_000 },
    async () => {
      const runs: Fixture[] = [];
      // One after another: some paths inject faults that would hit the others.
      for (const scenario of scenarios) {
        const { workflowId } = await scenario.run(stack);
        runs.push({
          file: `new ${scenario.name} saga ${workflowId}`,
          history: await stack.client.workflow.getHandle(workflowId).fetchHistory(),
        });
      }
      expect(runs).toHaveLength(scenarios.length);
      // Today's rejected saga takes the path guarded by patched() (see workflow-change.workflow.spec.ts).
      const rejected = runs.find((r) => r.file.startsWith('new rejected '))!;
      expect(
        rejected.history.events!.some(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordRejection',
        ),
      ).toBe(true);
      const failures = await replayFixtures(runs);
      expect(failures.map((f) => f.message)).toEqual([]);
    },
  );
});

describe('replay with encrypted payloads', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { ...scenarioConfig, PAYLOAD_KEYS: new Map([['replay-test', randomBytes(32)]]) },
      { consumers: false },
    );
  });
  afterAll(() => stack?.stop());

  it('replays a saga whose payloads are encrypted only through the platform data converter', async () => {
    const { workflowId } = await scenarios.find((s) => s.name === 'happy-path')!.run(stack);
    const run: Fixture = {
      file: `encrypted saga ${workflowId}`,
      history: await stack.client.workflow.getHandle(workflowId).fetchHistory(),
    };
    const input = run.history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(input.data!).toString()).not.toContain(workflowId.replace(/^order-/, ''));

    expect((await replayFixtures([run], undefined, stack.config)).map((f) => f.message)).toEqual([]);
    // Without the keys the input cannot even be read: the replayer depends on the data converter.
    const withoutKeys = await replayFixtures([run], undefined, { ...stack.config, PAYLOAD_KEYS: undefined });
    expect(withoutKeys).toHaveLength(1);
    expect(withoutKeys[0]!.message).toMatch(/Unknown encoding: binary\/encrypted/);
  });
});
