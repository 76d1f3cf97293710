import { spawn } from 'node:child_process';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import { describe, expect, inject, it } from 'vitest';
import { workerActivities } from '../../composition';
import { LOCAL_STEPS } from '../../workflows/saga/local';
import type { Cell } from './matrix/cells';
import { checkedCell } from './matrix/check-cell';
import { useTimeSkippingSaga } from './saga-env';

type HistoryEvent = NonNullable<History['events']>[number];

/** The activity a local activity marker records, and the attempt. */
function localActivityOf(e: HistoryEvent): { type: string; attempt: number } | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  const parsed = JSON.parse(Buffer.from(data!).toString('utf8')) as { activity_type: string; attempt: number };
  return { type: parsed.activity_type, attempt: parsed.attempt };
}
const scheduled = (history: History) =>
  history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
const markers = (history: History, type: string) =>
  history.events!.flatMap((e) => {
    const local = localActivityOf(e);
    return local?.type === type ? [local] : [];
  });

/**
 * createOrder as a local activity (workflows/saga/local.ts), beyond the fault matrix's cells: what
 * a history records, how its exhausted attempts are parked, and a worker that dies between the
 * local activity's effect and the record of its result.
 */
describe('createOrder runs as a local activity', () => {
  const t = useTimeSkippingSaga();

  it('records it as one marker, with its summary, and schedules no activity task for it; completeOrder stays an activity task', async () => {
    // A fault away from the order's steps: createOrder and completeOrder run once, as on the happy path.
    const cell: Cell = { id: 'local.one-marker', step: 'processPayment', fault: 'crash-after-effect' };
    const { run } = await checkedCell(t, cell);
    const history = await t.client.workflow.getHandle(run.workflowId).fetchHistory();
    for (const step of LOCAL_STEPS) {
      expect(scheduled(history)).not.toContain(step);
      const [marker, ...more] = history.events!.filter((e) => localActivityOf(e)?.type === step);
      expect(more, `${step} is recorded once`).toEqual([]);
      expect(marker?.userMetadata?.summary?.data, `${step}'s summary`).toBeDefined();
    }
    expect(scheduled(history).filter((a) => a === 'completeOrder')).toHaveLength(1);
    expect([...run.ranAs!.createOrder!]).toEqual(['local']);
  }, 60_000);

  it('parks createOrder as a dead letter that counted its attempts when its local attempts run out, and compensates', async () => {
    const cell: Cell = { id: 'local.create-exhausted', step: 'createOrder', fault: 'exhausted' };
    const { run } = await checkedCell(t, cell);
    const letter = await t.db.collection('dead_letters').findOne({ orderId: run.orderId, kind: 'step' });
    expect(letter).toMatchObject({
      step: 'createOrder',
      attempts: t.settings.policies.order.maximumAttempts,
      retryState: 'MAXIMUM_ATTEMPTS_REACHED',
    });
    const history = await t.client.workflow.getHandle(run.workflowId).fetchHistory();
    expect(markers(history, 'createOrder').length, 'its attempts are recorded as markers').toBeGreaterThan(0);
  }, 60_000);

  it('runs createOrder again when the worker dies before its result is recorded: the order is created once', async () => {
    const queue = `${t.taskQueue}-crash`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, 'local-steps', 'crashing-worker.ts'),
        t.address,
        queue,
        inject('mongodbUri'),
        t.db.databaseName,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      void exited.then(() => reject(new Error('the crashing worker exited before it was ready')));
    });

    // The cell's saga runs on the crashing worker's queue; no fault of the matrix applies there.
    const cell: Cell = { id: 'local.worker-killed', step: 'createOrder', fault: 'crash-after-effect' };
    const checking = checkedCell({ ...t, taskQueue: queue }, cell);
    expect(await exited, 'the worker was killed after the effect').toBe('SIGKILL');

    const real = workerActivities({ db: t.db });
    let createOrderRuns = 0;
    const replacement = await Worker.create({
      connection: t.nativeConnection,
      taskQueue: queue,
      workflowsPath: path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
      activities: {
        ...real,
        createOrder: (input: Parameters<typeof real.createOrder>[0]) => {
          createOrderRuns++;
          return real.createOrder(input);
        },
      },
    });
    const { run, end } = await replacement.runUntil(checking);
    expect(end).toBe('COMPLETED');
    expect(createOrderRuns, 'the replacement ran createOrder again: no marker said it had run').toBe(1);
    const created = await t.db
      .collection('events')
      .countDocuments({ streamId: `order-${run.orderId}`, type: 'OrderCreated' });
    expect(created).toBe(1);
    const history = await t.client.workflow.getHandle(run.workflowId).fetchHistory();
    expect(markers(history, 'createOrder')).toHaveLength(1);
    expect(history.events!.some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(true);
  }, 180_000);
});
