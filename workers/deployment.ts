import pRetry from 'p-retry';
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';

const { ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS } = temporal.api.enums.v1.RoutingConfigUpdateState;

/**
 * Makes a build the current version of its Worker Deployment: new sagas start on it, Pinned ones
 * stay where they started. The server knows a version only once one of its workers has polled, so
 * this waits for that (a few seconds at most), sets it, and returns once the change has reached
 * the task queues (until then a new saga could still be routed to the previous current version).
 * Idempotent.
 */
export async function makeCurrentVersion(
  connection: Pick<NativeConnection, 'workflowService'>,
  target: { namespace: string; deploymentName: string; buildId: string; identity?: string },
): Promise<void> {
  const service = connection.workflowService;
  await pRetry(
    () => service.setWorkerDeploymentCurrentVersion({ namespace: target.namespace, deploymentName: target.deploymentName, buildId: target.buildId, identity: target.identity ?? 'order-platform' }),
    { retries: 40, minTimeout: 100, maxTimeout: 500 },
  );
  await pRetry(
    async () => {
      const info = (await service.describeWorkerDeployment({ namespace: target.namespace, deploymentName: target.deploymentName })).workerDeploymentInfo;
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId;
      if (current !== target.buildId) throw new pRetry.AbortError(`${target.deploymentName}: another build (${current}) was made current meanwhile`);
      if (info?.routingConfigUpdateState === ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS) throw new Error('routing change still propagating');
    },
    { retries: 50, minTimeout: 100, maxTimeout: 200 },
  );
}
