import { describe, expect, it } from 'vitest';
import type { History } from '@temporalio/common/lib/proto-utils';
import { workerParts } from '../../composition';
import { SAGA_BASELINE_2026_12, SAGA_PATCHES_AT_START } from '../../workflows/patches';
import { scenariosRecordedWith } from '../../scripts/saga-scenarios';
import { localActivityOf } from '../../scripts/replay/events';
import { useTimeSkippingWorker } from '../helpers/time-skipping-worker';
import { changeVersionsOf, loadFixtures, patchIdOf, replayFixtures } from './replay-histories';
import { completedSaga } from './completed-saga';
import { splitAfterLocalMarker } from './split-after-local-marker';

/**
 * The change: a new saga asks one patch, saga-baseline-2026-12, in its first activation, and takes
 * every patch the saga knew as in force without asking it, at the start or later (saga-repair at a
 * repairable failure, saga-breaker-wait at a breaker step). Each marker it no longer records was
 * two history events (the marker and its TemporalChangeVersion upsert). Sagas recorded before it
 * ask the patches one by one, as they did: test/replay/replay.workflow.spec.ts replays them.
 */
type HistoryEvent = NonNullable<History['events']>[number];

const fixtures = loadFixtures();
const tagged = (tag: string) => fixtures.filter((f) => f.file.endsWith(`.${tag}.json`));
const nameOf = (file: string) => file.split('/').pop()!.split('.')[0]!;
const isOrderSaga = (history: History) =>
  history.events![0]!.workflowExecutionStartedEventAttributes?.workflowType?.name === 'orderSaga';

/** Its patch markers and TemporalChangeVersion upserts: all of them, and those its first workflow task issued. */
function patchEvents(history: History) {
  const events = history.events!;
  // A task's commands are recorded after its WorkflowTaskCompleted event, before the next task's.
  const completed = events.flatMap((e, i) => (e.workflowTaskCompletedEventAttributes ? [i] : []));
  const firstTask = events.slice(completed[0], completed[1]);
  const patches = events.filter((e) => patchIdOf(e) !== undefined);
  const versions = events.filter((e) => changeVersionsOf(e) !== undefined);
  const inFirstTask = (list: HistoryEvent[]) => list.filter((e) => firstTask.includes(e));
  return {
    patches: patches.map((e) => patchIdOf(e)!),
    versions: versions.map((e) => changeVersionsOf(e)!),
    patchesInFirstTask: inFirstTask(patches).map((e) => patchIdOf(e)!),
    versionsInFirstTask: inFirstTask(versions).map((e) => changeVersionsOf(e)!),
    /** The patch markers before createOrder's local activity marker: asked before it ran. */
    patchesBeforeCreateOrder: events
      .slice(
        0,
        events.findIndex((e) => localActivityOf(e) === 'createOrder'),
      )
      .flatMap((e) => patchIdOf(e) ?? []),
  };
}

const ONE_MARKER = {
  patches: [SAGA_BASELINE_2026_12],
  versions: [[SAGA_BASELINE_2026_12]],
  patchesInFirstTask: [SAGA_BASELINE_2026_12],
  versionsInFirstTask: [[SAGA_BASELINE_2026_12]],
  patchesBeforeCreateOrder: [SAGA_BASELINE_2026_12],
};

const decode = (data: Uint8Array | null | undefined) =>
  data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown) : undefined;

/**
 * What a history's workflow decided, without its patch markers: activities, local activities,
 * timers, status upserts, memos and how it ended. The breaker's polls and the timers between them
 * are left out, and a step run again after a wait counts once: how often the saga polled depends
 * on how long the breaker stayed open in that recording.
 */
function commands(history: History): string[] {
  const polled = history.events!.some(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitBreaker',
  );
  const all = history.events!.flatMap((e) => {
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) return activity === 'awaitBreaker' ? [] : [`activity ${activity}`];
    const local = localActivityOf(e);
    if (local) return [`local activity ${local}`];
    const timer = e.timerStartedEventAttributes;
    if (timer) {
      const seconds = Number(timer.startToFireTimeout?.seconds ?? 0) + (timer.startToFireTimeout?.nanos ?? 0) / 1e9;
      // The sleep between two polls of the breaker (workflows/saga/breaker-wait.ts).
      return polled && seconds === 5 ? [] : [`timer ${seconds} s`];
    }
    const status = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.OrderStatus;
    if (status) return [`status ${String(decode(status.data))}`];
    const memo = e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
    if (memo) return [`memo ${Object.keys(memo).sort().join(',')}`];
    if (e.workflowExecutionCompletedEventAttributes) return ['completed'];
    if (e.workflowExecutionCanceledEventAttributes) return ['cancelled'];
    return [];
  });
  return all.filter((c, i) => c !== all[i - 1]);
}

describe('a new saga records one patch marker, saga-baseline-2026-12, instead of one per patch', () => {
  const t = useTimeSkippingWorker('saga-baseline', (db) => ({ activities: workerParts({ db }).activities }));

  it(
    'records saga-baseline-2026-12 and its TemporalChangeVersion upsert alone, in its first workflow task, and replays',
    { timeout: 60_000 },
    async () => {
      const { orderId, history } = await completedSaga(t, 'baseline');
      expect(patchEvents(history)).toEqual(ONE_MARKER);
      const failures = await replayFixtures([
        { file: `saga ${orderId}`, history },
        {
          file: `saga ${orderId}, createOrder's marker ending its task`,
          history: splitAfterLocalMarker(history, 'createOrder'),
        },
      ]);
      expect(failures.map((f) => f.message)).toEqual([]);
    },
  );

  const after = tagged(SAGA_BASELINE_2026_12);

  it('has a history of every saga path recorded with it', () => {
    expect(
      after.map((f) => nameOf(f.file)).sort(),
      `record them with: npm run record-histories -- --tag ${SAGA_BASELINE_2026_12}`,
    ).toEqual(
      scenariosRecordedWith(SAGA_BASELINE_2026_12)
        .map((s) => s.name)
        .sort(),
    );
  });

  it('every saga path, the repairs and the breaker wait too, records that one marker and one TemporalChangeVersion upsert, in its first task', () => {
    const sagas = after.filter((f) => isOrderSaga(f.history));
    expect(sagas.length).toBeGreaterThan(0);
    for (const f of sagas) expect(patchEvents(f.history), f.file).toEqual(ONE_MARKER);
    // The settlement of a terminated saga asks no patch at all.
    for (const f of after.filter((f) => !isOrderSaga(f.history)))
      expect(patchEvents(f.history).patches, f.file).toEqual([]);
  });

  it('every path issues the same commands as the same path recorded with each patch asked on its own', () => {
    const before = new Map(tagged(SAGA_PATCHES_AT_START).map((f) => [nameOf(f.file), f.history]));
    for (const f of after) {
      const old = before.get(nameOf(f.file));
      expect(old, `${nameOf(f.file)}.${SAGA_PATCHES_AT_START}.json`).toBeDefined();
      expect(commands(f.history), f.file).toEqual(commands(old!));
    }
  });

  it('every history recorded with it replays, also with createOrder’s marker ending its task', async () => {
    const split = after
      .filter((f) => f.history.events!.some((e) => localActivityOf(e) === 'createOrder'))
      .map((f) => ({
        file: `${f.file}, createOrder's marker ending its task`,
        history: splitAfterLocalMarker(f.history, 'createOrder'),
      }));
    expect((await replayFixtures([...after, ...split])).map((f) => f.message)).toEqual([]);
  });
});
