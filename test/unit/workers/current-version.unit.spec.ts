import { describe, expect, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { makeCurrentVersion, RoutingPropagationPendingError } from '../../../workers/deployment';
import { toleratingSlowRouting } from '../../../workers/worker';

const { ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS, ROUTING_CONFIG_UPDATE_STATE_COMPLETED } =
  temporal.api.enums.v1.RoutingConfigUpdateState;

/** A deployment service whose routing change never finishes propagating, as a loaded dev server was seen to do. */
function deploymentService(initial: { current?: string; propagation: 'stuck' | 'done' }) {
  let current = initial.current;
  const calls = { set: 0, describe: 0 };
  const workflowService = {
    describeWorkerDeployment: async () => {
      calls.describe++;
      return {
        conflictToken: Buffer.from('t'),
        workerDeploymentInfo: {
          routingConfig: current ? { currentDeploymentVersion: { buildId: current } } : {},
          routingConfigUpdateState:
            initial.propagation === 'stuck'
              ? ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS
              : ROUTING_CONFIG_UPDATE_STATE_COMPLETED,
        },
      };
    },
    setWorkerDeploymentCurrentVersion: async (req: { buildId: string }) => {
      calls.set++;
      current = req.buildId;
      return {};
    },
  };
  return { connection: { workflowService } as unknown as Parameters<typeof makeCurrentVersion>[0], calls };
}

const target = { namespace: 'default', deploymentName: 'order-platform', buildId: 'build-a', propagationRetries: 3 };

describe('making a build current', () => {
  it.each(['stuck', 'done'] as const)(
    'leaves a build that is already current as it is, with no wait, when routing propagation is %s (a restarted worker)',
    async (propagation) => {
      const { connection, calls } = deploymentService({ current: 'build-a', propagation });
      await expect(makeCurrentVersion(connection, { ...target, onlyIfNone: true })).resolves.toBe('already-current');
      expect(calls.set).toBe(0);
      expect(calls.describe).toBe(1);
    },
  );

  it('keeps another build that is current', async () => {
    const { connection, calls } = deploymentService({ current: 'build-b', propagation: 'stuck' });
    await expect(makeCurrentVersion(connection, { ...target, onlyIfNone: true })).resolves.toBe('kept-another');
    expect(calls.set).toBe(0);
  });

  it('says the build is current but still propagating when the wait runs out, and the worker runs on with a warning', async () => {
    const { connection, calls } = deploymentService({ propagation: 'stuck' });
    const made = makeCurrentVersion(connection, { ...target, onlyIfNone: true });
    await expect(made).rejects.toBeInstanceOf(RoutingPropagationPendingError);
    expect(calls.set).toBe(1);
    const warnings: string[] = [];
    const outcome = await toleratingSlowRouting(makeCurrentVersion(connection, target), {
      warn: (_o: object, m: string) => warnings.push(m),
    } as never);
    expect(outcome).toBe('propagating');
    expect(warnings).toEqual([expect.stringMatching(/still propagating, running on/)]);
  });

  it('still fails the worker for any other error', async () => {
    await expect(
      toleratingSlowRouting(Promise.reject(new Error('permission denied')), { warn: () => undefined } as never),
    ).rejects.toThrow('permission denied');
  });

  it('waits for propagation after a change and answers made-current once it is done', async () => {
    const { connection, calls } = deploymentService({ propagation: 'done' });
    await expect(makeCurrentVersion(connection, { ...target, onlyIfNone: true })).resolves.toBe('made-current');
    expect(calls.set).toBe(1);
  });
});
