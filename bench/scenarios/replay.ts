import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Config } from '../../config';
import { dataConverter } from '../../infra/data-converter';
import { WORKFLOW_NAMES } from '../../workflows/client';
import { log, now, ratio, round } from '../lib/util';

export interface ReplayRow {
  workflow: string;
  histories: number;
  eventsPerHistory: number;
  replays: number;
  setupSeconds: number;
  seconds: number;
  perSecond: number;
  /** CPU ms per history over the steady part: this process, every thread (the replayer runs workflows in worker threads). */
  cpuMsPerHistory: number;
  failures: number;
}

/** A workflow's histories, fetched while its server and client are up, to replay later. */
export interface RecordedHistories {
  workflow: string;
  workflowsPath: string;
  histories: Array<{
    workflowId: string;
    history: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
  }>;
}

/** Fetches the histories scenario 5 replays (client fetchHistory): real ones from this run. */
export async function recordHistories(
  client: Client,
  options: { sagaIds: string[]; baselineIds: string[]; minimalIds?: string[] },
): Promise<RecordedHistories[]> {
  const cases = [
    {
      workflow: 'orderSaga (recorded in scenario 1)',
      ids: options.sagaIds,
      workflowsPath: path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
    },
    {
      workflow: 'noopSaga baseline',
      ids: options.baselineIds,
      workflowsPath: path.resolve(__dirname, '..', 'baseline', 'workflows.ts'),
    },
    {
      workflow: 'minimalSaga (the minimal durable saga)',
      ids: options.minimalIds ?? [],
      workflowsPath: path.resolve(__dirname, '..', 'minimal', 'workflows.ts'),
    },
  ];
  return Promise.all(
    cases.map(async (c) => ({
      workflow: c.workflow,
      workflowsPath: c.workflowsPath,
      histories: await Promise.all(
        c.ids.map(async (workflowId) => ({
          workflowId,
          history: await client.workflow.getHandle(workflowId).fetchHistory(),
        })),
      ),
    })),
  );
}

/**
 * Scenario 5. Replays recorded histories many times with the SDK replayer
 * (Worker.runReplayHistories), as a determinism check in CI would. The replayer bundles the
 * workflow code once per call; that setup is reported apart from the steady rate, which is timed
 * after the first fifth of the replays (at most 60, which warm the code up) to the last, and so is
 * its CPU per history. The no-op baseline workflow's and the minimal durable saga's histories are
 * replayed the same way: what the workflow code of each costs a worker, apart from its activities.
 * It runs after every other scenario: the replayer leaves the process slower (raw inserts ran at
 * half their rate after it), which would skew whatever followed.
 */
export async function replayScenario(recorded: RecordedHistories[], config: Config, options: { replays: number }) {
  const rows: ReplayRow[] = [];
  for (const c of recorded) {
    const { histories } = c;
    if (histories.length === 0) continue;
    const events = histories.reduce((sum, h) => sum + (h.history.events?.length ?? 0), 0) / histories.length;
    const feed = Array.from({ length: options.replays }, (_, i) => histories[i % histories.length]!);
    const t0 = now();
    let first: number | undefined;
    let last = t0;
    // The first replays of each kind warm up its code (and, for the first kind, the replayer's): not counted.
    const warmUp = Math.min(60, Math.floor(feed.length / 5));
    let steadyFrom = t0;
    let cpuAtSteady: NodeJS.CpuUsage | undefined;
    let count = 0;
    let failures = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: c.workflowsPath, dataConverter: dataConverter(config) },
      feed,
    )) {
      last = now();
      first ??= last;
      count++;
      if (count === warmUp + 1) {
        steadyFrom = last;
        cpuAtSteady = process.cpuUsage();
      }
      if (result.error) {
        failures++;
        if (failures === 1) log(`replay: ${c.workflow} ${result.workflowId} failed: ${result.error.message}`);
      }
    }
    const steady = (last - steadyFrom) / 1000;
    const cpu = process.cpuUsage(cpuAtSteady);
    const counted = count - warmUp - 1;
    const row: ReplayRow = {
      workflow: c.workflow,
      histories: histories.length,
      eventsPerHistory: round(events, 1),
      replays: count,
      setupSeconds: round(((first ?? t0) - t0) / 1000),
      seconds: round(steady),
      perSecond: round(steady > 0 && counted > 0 ? counted / steady : NaN, 1),
      cpuMsPerHistory: round(cpuAtSteady && counted > 0 ? (cpu.user + cpu.system) / 1000 / counted : NaN, 2),
      failures,
    };
    log(
      `replay: ${c.workflow}: ${row.perSecond} histories/s, ${row.cpuMsPerHistory} CPU ms each (${row.eventsPerHistory} events each, ${failures} failures, setup ${row.setupSeconds} s)`,
    );
    rows.push(row);
  }
  const saga = rows.find((r) => r.workflow.startsWith(WORKFLOW_NAMES.orderSaga));
  const base = rows.find((r) => r.workflow.startsWith('noop'));
  const minimal = rows.find((r) => r.workflow.startsWith('minimal'));
  return {
    rows,
    sagaVsBaseline: saga && base ? ratio(saga.perSecond, base.perSecond) : null,
    /** Ours against the minimal saga: CPU per replayed history, the cost of the workflow code itself. */
    cpuVsMinimal: saga && minimal ? ratio(saga.cpuMsPerHistory, minimal.cpuMsPerHistory) : null,
  };
}
