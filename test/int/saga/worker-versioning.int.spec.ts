import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerActivities, workerConnection } from '../../../composition';
import { approveSignal } from '../../../workflows/client';
import { makeCurrentVersion } from '../../../workers/deployment';
import { createWorker, runWorker } from '../../../workers/worker';
import { alteredWorkflows } from '../../replay/replay-histories';
import { fastSaga, sagaHelpers } from '../../helpers/saga';
import { startStack, type Stack } from '../../helpers/stack';

const EventType = temporal.api.enums.v1.EventType;
const root = path.resolve(__dirname, '..', '..', '..');

/**
 * Worker Versioning: the order saga is Pinned. A saga that waits (for an approval) on build A
 * finishes on build A while new sagas run on build B, even when B would not replay A's histories.
 */
describe('worker versioning: a Pinned saga stays on its build', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  const deployment = `versioning-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    stack = await startStack({
      ...fastSaga,
      APPROVAL_THRESHOLD: 1_000,
      WORKER_DEPLOYMENT_NAME: deployment,
      WORKER_BUILD_ID: 'build-a',
    });
    h = sagaHelpers(stack);
  });
  afterAll(() => stack?.stop());

  it('finishes a saga started on build A on build A after build B became current, while new sagas run on B', async () => {
    const accountId = await h.openAccount(100_000);
    const sku = h.unique('VER');
    await h.stock(sku, 10, 2_000);
    const waiting = await h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await h.waitForSaga(waiting.orderId, (s) => s.awaitingApproval, 'the saga to wait for approval on build A');

    // Build B waits a moment before its first step: its histories start differently, so it cannot
    // replay a saga that build A started.
    const changedPath = alteredWorkflows('build-b', (s) =>
      s
        .replace('import { CancellationScope,', 'import { sleep, CancellationScope,')
        .replace(
          'async function forwardSteps(saga: Saga): Promise<void> {',
          "async function forwardSteps(saga: Saga): Promise<void> {\n  await sleep('10 ms');",
        ),
    );
    const configB = { ...stack.config, WORKER_BUILD_ID: 'build-b' };
    // Build B's worker is a process of its own in a real deploy: its own connection here.
    const connectionB = await workerConnection(configB);
    const workerB = await createWorker({
      connection: connectionB,
      config: configB,
      db: stack.mongo.db,
      activities: workerActivities({ db: stack.mongo.db }),
      workflowsPath: changedPath,
    });
    const b = runWorker(workerB, { connection: connectionB, config: configB });
    try {
      await b.current;
      const described = await stack.nativeConnection.workflowService.describeWorkerDeployment({
        namespace: stack.config.TEMPORAL_NAMESPACE,
        deploymentName: deployment,
      });
      expect(described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe('build-b');

      // A new saga runs on build B (its history has B's timer).
      const fresh = await h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
      await stack.client.workflow.getHandle(`order-${fresh.orderId}`).signal(approveSignal, { by: 'test' });
      expect(await h.result(fresh.orderId)).toMatchObject({ status: 'COMPLETED' });
      const freshEvents = (await stack.client.workflow.getHandle(`order-${fresh.orderId}`).fetchHistory()).events ?? [];
      expect(
        freshEvents.some(
          (e) =>
            e.eventType === EventType.EVENT_TYPE_TIMER_STARTED && e.timerStartedEventAttributes?.startToFireTimeout,
        ),
      ).toBe(true);

      // The saga from build A is approved now, and finishes there: no task of it ran on B.
      await stack.client.workflow.getHandle(`order-${waiting.orderId}`).signal(approveSignal, { by: 'test' });
      expect(await h.result(waiting.orderId)).toMatchObject({ status: 'COMPLETED' });
      const events = (await stack.client.workflow.getHandle(`order-${waiting.orderId}`).fetchHistory()).events ?? [];
      expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toBe(false);
      const builds = new Set(
        events
          .filter((e) => e.workflowTaskCompletedEventAttributes)
          .map((e) => e.workflowTaskCompletedEventAttributes!.deploymentVersion?.buildId),
      );
      expect(builds).toEqual(new Set(['build-a']));
      expect(
        events
          .filter((e) => e.workflowTaskCompletedEventAttributes)
          .every(
            (e) =>
              e.workflowTaskCompletedEventAttributes!.versioningBehavior ===
              temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED,
          ),
      ).toBe(true);
    } finally {
      workerB.shutdown();
      await b.running;
      await connectionB.close();
      // Build A is current again (B's worker is gone), as a rollback would leave it.
      await makeCurrentVersion(stack.nativeConnection, {
        namespace: stack.config.TEMPORAL_NAMESPACE,
        deploymentName: deployment,
        buildId: 'build-a',
      });
    }
    // Without the pin it would have broken: build B does not replay what build A recorded, and the
    // replay command (in a process of its own, as an operator runs it) says where.
    const query = `WorkflowId = 'order-${waiting.orderId}'`;
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE,
    };
    const onB = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/replay.ts', '--query', query, '--workflows', changedPath],
      { cwd: root, env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(onB.status, onB.stdout + onB.stderr).toBe(1);
    expect(onB.stdout).toMatch(
      new RegExp(
        `FAILED order-${waiting.orderId} .*does not replay deterministically[\\s\\S]*first diverging event is \\d+`,
      ),
    );
    const onA = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', '--query', query], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(onA.status, onA.stdout + onA.stderr).toBe(0);
  }, 120_000);

  it('gates a build with npm run deploy:check: refuses code that would break what it will run, passes code that does not', async () => {
    const accountId = await h.openAccount(100_000);
    const sku = h.unique('GATE');
    await h.stock(sku, 10, 2_000);
    // A saga Pinned to build-a, waiting.
    const waiting = await h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await h.waitForSaga(waiting.orderId, (s) => s.awaitingApproval, 'the saga to wait for approval');
    const changed = alteredWorkflows('gate-change', (s) =>
      s
        .replace('import { CancellationScope,', 'import { sleep, CancellationScope,')
        .replace(
          'async function forwardSteps(saga: Saga): Promise<void> {',
          "async function forwardSteps(saga: Saga): Promise<void> {\n  await sleep('10 ms');",
        ),
    );
    const gate = (build: string, workflows?: string) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/deploy-check.ts',
          '--sample',
          '5',
          ...(workflows ? ['--workflows', workflows] : []),
        ],
        {
          cwd: root,
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
            TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE,
            TASK_QUEUE: stack.config.TASK_QUEUE,
            WORKER_DEPLOYMENT_NAME: deployment,
            WORKER_BUILD_ID: build,
          },
          encoding: 'utf8',
          timeout: 180_000,
        },
      );

    // This checkout's code as a new build: everything it will run replays.
    const same = gate('build-a2');
    expect(same.status, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain('recorded fixture');
    expect(same.stdout).toMatch(/build build-a2 passed: \d+ histories replay/);

    // The changed code as a new build: the Pinned saga is not its concern, but the recorded
    // (unversioned) histories are, and they do not replay.
    const newBuild = gate('build-c', changed);
    expect(newBuild.status, newBuild.stdout + newBuild.stderr).toBe(1);
    expect(newBuild.stdout).toMatch(/REFUSED test\/fixtures\/histories\/\S+\.json does not replay deterministically/);
    expect(newBuild.stdout).not.toContain(`REFUSED order-${waiting.orderId}`);
    // Each refusal names the code's command against the history's, the line that issued it, and what fits.
    expect(newBuild.stdout).toMatch(
      /Command: {2}new code started a timer of 0\.01s; history has ActivityTaskScheduled '\w+' \(event \d+\)\n {2}Source: {3}test-results\/replay\/gate-change\/workflows\/order-saga\.ts:\d+.*\n {2}Advice: {3}patched\(\) fits: a command added/,
    );

    // The changed code under the same build id (a change within the build line): the saga Pinned
    // to that build would run it, and is named.
    const sameLine = gate('build-a', changed);
    expect(sameLine.status).toBe(1);
    expect(sameLine.stdout).toContain('running, Pinned to this build build-a');
    expect(sameLine.stdout).toContain(`REFUSED order-${waiting.orderId}`);
    expect(sameLine.stdout).toMatch(
      new RegExp(
        `REFUSED order-${waiting.orderId}.*\\n(?: {2}.*\\n)*? {2}Advice: {3}new build: this saga is Pinned to this very build id`,
      ),
    );

    await stack.client.workflow.getHandle(`order-${waiting.orderId}`).signal(approveSignal, { by: 'test' });
    expect(await h.result(waiting.orderId)).toMatchObject({ status: 'COMPLETED' });
  }, 300_000);

  it('in production, the first build of a deployment makes itself current, racing builds end with exactly one current, and a later build waits for the gate', async () => {
    const fresh = `first-${randomUUID().slice(0, 8)}`;
    const base = {
      ...stack.config,
      NODE_ENV: 'production' as const,
      WORKER_SET_CURRENT_VERSION: undefined,
      WORKER_DEPLOYMENT_NAME: fresh,
      TASK_QUEUE: `${fresh}-queue`,
    };
    const start = async (build: string) => {
      const config = { ...base, WORKER_BUILD_ID: build };
      const connection = await workerConnection(config);
      const worker = await createWorker({
        connection,
        config,
        db: stack.mongo.db,
        activities: workerActivities({ db: stack.mongo.db }),
      });
      return { build, connection, worker, run: runWorker(worker, { connection, config }) };
    };
    const currentBuild = async () =>
      (
        await stack.nativeConnection.workflowService.describeWorkerDeployment({
          namespace: stack.config.TEMPORAL_NAMESPACE,
          deploymentName: fresh,
        })
      ).workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId;
    // Two builds arriving together at a deployment that has no current version yet.
    const racing = await Promise.all([start('first-a'), start('first-b')]);
    const later: Array<Awaited<ReturnType<typeof start>>> = [];
    try {
      const outcomes = await Promise.all(racing.map((w) => w.run.current));
      expect(outcomes.filter((o) => o === 'made-current')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'kept-another')).toHaveLength(1);
      const winner = racing[outcomes.indexOf('made-current')]!.build;
      expect(await currentBuild()).toBe(winner);

      // A later build in production does not take over by itself.
      later.push(await start('first-c'));
      expect(await later[0]!.run.current).toBe('kept-another');
      expect(await currentBuild()).toBe(winner);
    } finally {
      for (const w of [...racing, ...later]) {
        w.worker.shutdown();
        await w.run.running;
        await w.connection.close();
      }
    }
  }, 120_000);
});
