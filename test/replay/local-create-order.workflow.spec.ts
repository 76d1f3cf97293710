import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { History } from '@temporalio/common/lib/proto-utils';
import { scenariosRecordedWith } from '../../scripts/saga-scenarios';
import { LOCAL_STEPS } from '../../workflows/saga/local';
import {
  SAGA_LOCAL_CREATE_ORDER,
  SAGA_POINT_OF_NO_RETURN,
  SAGA_STEP_TABLE,
  STATUS_ATTRIBUTE_AT_MILESTONES,
} from '../../workflows/patches';
import { alteredWorkflows, loadFixtures, patchIdOf, replayFixtures } from './replay-histories';

/**
 * The change: createOrder runs as a local activity, recorded as one marker instead of an activity
 * task's scheduled, started and completed events and the workflow task that follows. Histories
 * tagged saga-local-create-order are compared with those the step-table saga recorded on the same
 * path: the same steps with the same summaries, in the same order, createOrder as a local
 * activity marker.
 */
const fixtures = loadFixtures();
const tagged = (tag: string) => fixtures.filter((f) => f.file.endsWith(`.${tag}.json`));
const nameOf = (file: string) => file.split('/').pop()!.split('.')[0]!;
const before = tagged(SAGA_STEP_TABLE);
const after = tagged(SAGA_LOCAL_CREATE_ORDER);

type HistoryEvent = NonNullable<History['events']>[number];
const decode = (data: Uint8Array | null | undefined) =>
  data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown) : undefined;
const summaryOf = (e: HistoryEvent) =>
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a summary decodes to a JSON string
  String(decode(e.userMetadata?.summary?.data) ?? 'no summary')
    .replace(/SKU-[\w-]+/g, 'SKU-…')
    .replace(/account \S+/g, 'account …');

/** The activity a local activity marker records, with the attempt it records (a marker per outcome). */
function localActivityOf(e: HistoryEvent): { type: string; attempt: number } | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = decode(marker.details?.data?.payloads?.[0]?.data) as { activity_type: string; attempt: number };
  return { type: data.activity_type, attempt: data.attempt };
}

/** The saga's steps as it called them, as activities or local activities, with their summaries. */
function steps(history: History): string[] {
  return history.events!.flatMap((e) => {
    const activity = e.activityTaskScheduledEventAttributes;
    if (activity) return [`${activity.activityType!.name} (${summaryOf(e)})`];
    const local = localActivityOf(e);
    if (local) return [`${local.type} (${summaryOf(e)})`];
    const timer = e.timerStartedEventAttributes;
    if (timer) return [`timer ${String(timer.startToFireTimeout?.seconds)} s (${summaryOf(e)})`];
    if (e.workflowExecutionCompletedEventAttributes) return ['completed'];
    return [];
  });
}
/** A path may record another workflow (the settlement of a terminated saga): only the saga's histories have its markers. */
const isOrderSaga = (f: { history: History }) =>
  f.history.events![0]!.workflowExecutionStartedEventAttributes?.workflowType?.name === 'orderSaga';
const scheduled = (history: History) =>
  history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
const local = (history: History) => history.events!.flatMap((e) => localActivityOf(e)?.type ?? []);

describe('a saga change guarded by patched(): createOrder as a local activity', () => {
  it('has a history of every saga path recorded with a local createOrder, each with its marker', () => {
    expect(
      after.map((f) => nameOf(f.file)).sort(),
      `record them with: npm run record-histories -- --tag ${SAGA_LOCAL_CREATE_ORDER}`,
    ).toEqual(
      scenariosRecordedWith(SAGA_LOCAL_CREATE_ORDER)
        .map((s) => s.name)
        .sort(),
    );
    for (const f of after.filter(isOrderSaga))
      expect(f.history.events!.flatMap((e) => patchIdOf(e) ?? []).slice(0, 3), f.file).toEqual([
        SAGA_POINT_OF_NO_RETURN,
        SAGA_STEP_TABLE,
        SAGA_LOCAL_CREATE_ORDER,
      ]);
  });

  it('calls the same steps with the same summaries on every path, createOrder in the worker', () => {
    // Every path the step-table saga recorded (paths added since have no recording of it).
    const compared = after.filter((f) => before.some((b) => nameOf(b.file) === nameOf(f.file)));
    expect(compared.length).toBeGreaterThanOrEqual(10);
    for (const f of compared) {
      const old = before.find((b) => nameOf(b.file) === nameOf(f.file));
      expect(steps(f.history), f.file).toEqual(steps(old!.history));
      for (const step of LOCAL_STEPS) expect(scheduled(f.history), f.file).not.toContain(step);
      expect(local(f.history), `${f.file} records createOrder as a local activity`).toEqual([...LOCAL_STEPS]);
      expect(f.history.events!.length, `${f.file} is shorter`).toBeLessThan(old!.history.events!.length);
    }
  });

  it('replays the histories from before and after the change on the current code', async () => {
    const older = [...tagged(SAGA_POINT_OF_NO_RETURN), ...tagged(STATUS_ATTRIBUTE_AT_MILESTONES), ...before, ...after];
    const failures = await replayFixtures(older);
    expect(failures.map((f) => f.message)).toEqual([]);
  });

  it('would break the sagas that called it as a normal activity without the patched() guard', async () => {
    const unguarded = (source: string) =>
      source.replace('if (patched(SAGA_LOCAL_CREATE_ORDER)) return LOCAL_STEPS;', 'return LOCAL_STEPS;');
    const failures = await replayFixtures(
      before,
      alteredWorkflows('unguarded-local-create-order', unguarded, 'saga/patches-in-force.ts'),
    );
    expect(failures.map((f) => f.file).sort()).toEqual(before.map((f) => f.file).sort());
    for (const failure of failures) expect(failure.error).toBeInstanceOf(DeterminismViolationError);
  });
});
