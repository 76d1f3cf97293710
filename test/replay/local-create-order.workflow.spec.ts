import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { History } from '@temporalio/common/lib/proto-utils';
import { scenarios } from '../../scripts/saga-scenarios';
import { LOCAL_STEPS } from '../../workflows/saga/local';
import {
  SAGA_LOCAL_ORDER_STEPS,
  SAGA_POINT_OF_NO_RETURN,
  SAGA_STEP_TABLE,
  STATUS_ATTRIBUTE_AT_MILESTONES,
} from '../../workflows/patches';
import { alteredWorkflows, loadFixtures, patchIdOf, replayFixtures } from './replay-histories';

/**
 * The change: createOrder and completeOrder run as local activities, recorded as one marker each
 * instead of an activity task's scheduled, started and completed events and the workflow task
 * that follows. Histories tagged saga-local-order-steps are compared with those the step-table
 * saga recorded on the same path: the same steps with the same summaries, in the same order, the
 * two order steps as local activity markers.
 */
const fixtures = loadFixtures();
const tagged = (tag: string) => fixtures.filter((f) => f.file.endsWith(`.${tag}.json`));
const nameOf = (file: string) => file.split('/').pop()!.split('.')[0]!;
const before = tagged(SAGA_STEP_TABLE);
const after = tagged(SAGA_LOCAL_ORDER_STEPS);

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

/** The saga's steps as it called them: `normal <activity>` or `local <activity>`, with their summaries. */
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
const scheduled = (history: History) =>
  history.events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
const local = (history: History) => history.events!.flatMap((e) => localActivityOf(e)?.type ?? []);

describe('a saga change guarded by patched(): createOrder and completeOrder as local activities', () => {
  it('has a history of every saga path recorded with local order steps, each with its marker', () => {
    expect(
      after.map((f) => nameOf(f.file)).sort(),
      `record them with: npm run record-histories -- --tag ${SAGA_LOCAL_ORDER_STEPS}`,
    ).toEqual(scenarios.map((s) => s.name).sort());
    for (const f of after)
      expect(
        f.history.events!.flatMap((e) => patchIdOf(e) ?? []),
        f.file,
      ).toEqual([SAGA_POINT_OF_NO_RETURN, SAGA_STEP_TABLE, SAGA_LOCAL_ORDER_STEPS]);
  });

  it('calls the same steps with the same summaries on every path, the order steps in the worker', () => {
    for (const f of after) {
      const old = before.find((b) => nameOf(b.file) === nameOf(f.file));
      expect(old, `a ${SAGA_STEP_TABLE} history of ${nameOf(f.file)}`).toBeDefined();
      expect(steps(f.history), f.file).toEqual(steps(old!.history));
      for (const step of LOCAL_STEPS) expect(scheduled(f.history), f.file).not.toContain(step);
      expect(local(f.history).length, `${f.file} records its order steps as local activities`).toBeGreaterThan(0);
      expect(f.history.events!.length, `${f.file} is shorter`).toBeLessThan(old!.history.events!.length);
    }
    // The happy path: two markers where there were six activity events and two workflow tasks.
    const happy = after.find((f) => nameOf(f.file) === 'happy-path')!;
    expect(local(happy.history)).toEqual([...LOCAL_STEPS]);
  });

  it('replays the histories from before and after the change on the current code', async () => {
    const older = [...tagged(SAGA_POINT_OF_NO_RETURN), ...tagged(STATUS_ATTRIBUTE_AT_MILESTONES), ...before, ...after];
    const failures = await replayFixtures(older);
    expect(failures.map((f) => f.message)).toEqual([]);
  });

  it('would break the sagas that called them as normal activities without the patched() guard', async () => {
    const unguarded = (source: string) =>
      source.replace('localOrderSteps: patched(SAGA_LOCAL_ORDER_STEPS)', 'localOrderSteps: true');
    const failures = await replayFixtures(before, alteredWorkflows('unguarded-local-order-steps', unguarded));
    expect(failures.map((f) => f.file).sort()).toEqual(before.map((f) => f.file).sort());
    for (const failure of failures) expect(failure.error).toBeInstanceOf(DeterminismViolationError);
  });
});
