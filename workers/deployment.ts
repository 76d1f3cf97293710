import pRetry from 'p-retry';
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';

const { ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS } = temporal.api.enums.v1.RoutingConfigUpdateState;

/** The build is current, but the routing change had not reached every task queue when the wait ran out. */
export class RoutingPropagationPendingError extends Error {
  constructor(deploymentName: string, buildId: string) {
    super(`${deploymentName}: ${buildId} is current, but the routing change is still propagating`);
    this.name = 'RoutingPropagationPendingError';
  }
}

export type CurrentVersionOutcome = 'made-current' | 'already-current' | 'kept-another';

/**
 * Makes a build the current version of its Worker Deployment: new sagas start on it, Pinned ones
 * stay where they started. The server knows a version only once one of its workers has polled, so
 * this waits for that (a few seconds at most), sets it, and returns once the change has reached
 * the task queues (until then a new saga could still be routed to the previous current version);
 * if it has not within the wait, it rejects with RoutingPropagationPendingError, the build being
 * current all the same. Idempotent. With `onlyIfNone`, only a deployment that has no current
 * version yet gets one (a first deploy); a deployment that has one keeps it, and one whose current
 * version is already this build is left as it is, with nothing to wait for (a restarted worker).
 */
export async function makeCurrentVersion(
  connection: Pick<NativeConnection, 'workflowService'>,
  target: {
    namespace: string;
    deploymentName: string;
    buildId: string;
    identity?: string;
    onlyIfNone?: boolean;
    propagationRetries?: number;
  },
): Promise<CurrentVersionOutcome> {
  const service = connection.workflowService;
  const describe = async () =>
    (await service.describeWorkerDeployment({ namespace: target.namespace, deploymentName: target.deploymentName }))
      .workerDeploymentInfo;
  const made = await pRetry(
    async (): Promise<'changed' | 'already' | 'other'> => {
      if (!target.onlyIfNone) {
        await service.setWorkerDeploymentCurrentVersion({
          namespace: target.namespace,
          deploymentName: target.deploymentName,
          buildId: target.buildId,
          identity: target.identity ?? 'order-platform',
        });
        return 'changed';
      }
      // Only where no build is current yet. The conflict token makes the check and the change one
      // step: if another worker makes its build current in between, this change is refused, and
      // the next attempt finds that build current and leaves it.
      const response = await service.describeWorkerDeployment({
        namespace: target.namespace,
        deploymentName: target.deploymentName,
      });
      const current = response.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId;
      if (current) return current === target.buildId ? 'already' : 'other';
      await service.setWorkerDeploymentCurrentVersion({
        namespace: target.namespace,
        deploymentName: target.deploymentName,
        buildId: target.buildId,
        identity: target.identity ?? 'order-platform',
        conflictToken: response.conflictToken,
      });
      return 'changed';
    },
    { retries: 40, minTimeout: 100, maxTimeout: 500 },
  );
  if (made === 'other') return 'kept-another';
  if (made === 'already') return 'already-current';
  await pRetry(
    async () => {
      const info = await describe();
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId;
      if (current !== target.buildId)
        throw new pRetry.AbortError(`${target.deploymentName}: another build (${current}) was made current meanwhile`);
      if (info?.routingConfigUpdateState === ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS)
        throw new RoutingPropagationPendingError(target.deploymentName, target.buildId);
    },
    { retries: target.propagationRetries ?? 50, minTimeout: 100, maxTimeout: 200 },
  );
  return 'made-current';
}
