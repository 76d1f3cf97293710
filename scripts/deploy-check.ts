/**
 * npm run deploy:check [-- --promote] [--sample N] [--workflows path/to/workflows/index.ts]
 *
 * The gate before a build becomes the current version of the Worker Deployment. It replays,
 * against this build's workflow code, every history the build will run:
 *   - the recorded fixtures (test/fixtures/histories);
 *   - the running workflows on TASK_QUEUE that are not Pinned (unversioned, or AutoUpgrade: they
 *     move to the current version at their next task);
 *   - the running workflows Pinned to this very build id (a change made within a build line, as a
 *     patch, runs on them);
 *   - a sample of the newest histories on TASK_QUEUE (--sample, 20 by default), open or closed.
 * Workflows Pinned to another build stay there and are not its concern. Any non-determinism
 * refuses the build (exit 1). For each refused history it prints the first diverging event, the
 * command the new code issued there against the one the history holds, the workflow source line
 * that issued it, and whether a patched() branch or a new build fits (scripts/replay/divergence.ts);
 * then one line per distinct change, with how many histories it breaks. With
 * --promote, a build that passes is made current (its workers must be polling already).
 * The build is the one the worker would run: WORKER_BUILD_ID, or derived (workers/build-id.ts).
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadConfig, type Config } from '../config';
import { temporalClient, workerConnection } from '../composition';
import { tracing } from '../infra/tracing';
import { deriveBuildId } from '../workers/build-id';
import { makeCurrentVersion } from '../workers/deployment';
import {
  historiesDir,
  loadFixtures,
  replayFixtures,
  workflowsPath,
  type Fixture,
  type ReplayFailure,
} from './replay/histories';

const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

/** The histories this build will run, each with why it is checked. */
async function historiesToCheck(
  client: Client,
  config: Config,
  build: string,
  sample: number,
): Promise<Array<Fixture & { why: string }>> {
  const picked = new Map<string, Fixture & { why: string }>();
  const consider = async (query: string, why: (pinnedTo: string | undefined) => string | undefined, limit: number) => {
    let seen = 0;
    for await (const execution of client.workflow.list({ query })) {
      if (seen++ >= limit) break;
      const key = `${execution.workflowId} (run ${execution.runId})`;
      if (picked.has(key)) continue;
      const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
      const versioning = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
      const pinnedTo =
        versioning?.behavior === PINNED ? (versioning.deploymentVersion?.buildId ?? undefined) : undefined;
      const reason = why(pinnedTo);
      if (reason) picked.set(key, { file: key, history: await handle.fetchHistory(), why: reason });
    }
  };
  const queue = `TaskQueue = '${config.TASK_QUEUE}'`;
  await consider(
    `${queue} AND ExecutionStatus = 'Running'`,
    (pinnedTo) =>
      pinnedTo === undefined
        ? 'running, not Pinned'
        : pinnedTo === build
          ? `running, Pinned to this build ${build}`
          : undefined,
    10_000,
  );
  await consider(queue, (pinnedTo) => (pinnedTo === undefined || pinnedTo === build ? 'recent' : undefined), sample);
  return [...picked.values()];
}

/** One line per distinct change (where the code diverges, what it does, what fits), with how many histories it breaks. */
function changes(failures: ReplayFailure[]): string[] {
  const counts = new Map<string, number>();
  for (const { explanation: e, message } of failures) {
    const key = e
      ? `${e.source ?? 'unknown line'}: new code ${e.actual} → ${e.advice.split(':')[0]!}`
      : message.split('\n')[0]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n} × ${key}`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const sample = Number(flag('--sample') ?? 20);
  const workflows = path.resolve(flag('--workflows') ?? workflowsPath);
  const config = loadConfig();
  // Bundled as the worker bundles it, with the same plugins (tracing adds workflow interceptors).
  const plugin = tracing(config, 'deploy-check');
  const build = await deriveBuildId(config, { workflowsPath: workflows, plugins: plugin ? [plugin] : [] });
  console.log(
    `deploy:check: build ${build} of deployment ${config.WORKER_DEPLOYMENT_NAME} (task queue ${config.TASK_QUEUE}), workflow code ${path.relative(process.cwd(), workflows)}`,
  );

  const fixtures = loadFixtures(historiesDir).map((f) => ({ ...f, why: 'recorded fixture' }));
  const { client, connection } = await temporalClient(config);
  let fromServer: Array<Fixture & { why: string }>;
  try {
    fromServer = await historiesToCheck(client, config, build, sample);
  } finally {
    await connection.close();
  }
  const all = [...fixtures, ...fromServer];
  const counts: Record<string, number> = {};
  for (const h of all) counts[h.why] = (counts[h.why] ?? 0) + 1;
  console.log(
    `deploy:check: replaying ${all.length} histories (${Object.entries(counts)
      .map(([why, n]) => `${n} ${why}`)
      .join(', ')})`,
  );
  const failures = await replayFixtures(all, workflows);
  for (const failure of failures) console.log(`\nREFUSED ${failure.message}`);
  if (failures.length) {
    console.log(
      `\ndeploy:check: build ${build} refused: ${failures.length} of ${all.length} histories would not continue on it`,
    );
    for (const line of changes(failures)) console.log(`  ${line}`);
    return 1;
  }
  console.log(`\ndeploy:check: build ${build} passed: ${all.length} histories replay`);
  if (args.includes('--promote')) {
    const native = await workerConnection(config);
    try {
      await makeCurrentVersion(native, {
        namespace: config.TEMPORAL_NAMESPACE,
        deploymentName: config.WORKER_DEPLOYMENT_NAME,
        buildId: build,
        identity: 'deploy:check',
      });
    } finally {
      await native.close();
    }
    console.log(`deploy:check: ${build} is now the current version of ${config.WORKER_DEPLOYMENT_NAME}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
