import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { History } from '@temporalio/common/lib/proto-utils';
import { APPROVAL } from '../../domain/orders/steps';
import { ORDER_REJECTION_RECORDED } from '../../workflows/patches';
import { compensatedPath } from '../helpers/saga-path';
import { alteredWorkflows, loadFixtures, patchIdOf, replayFixtures } from './replay-histories';

/** These histories predate the point of no return, so they replay the frozen first version. */
const LEGACY_SAGA = 'legacy/order-saga-v1.ts';

/**
 * The change: a rejected order is now recorded (recordRejection, an OrderRejected event) before the
 * saga compensates. Sagas rejected before the change did not do that, so the change is guarded
 * with patched(ORDER_REJECTION_RECORDED). rejected.json was recorded before the change,
 * rejected.order-rejection-recorded.json after it.
 */
const fixtures = loadFixtures();
const before = fixtures.find((f) => f.file.endsWith('/rejected.json'))!;
const after = fixtures.find((f) => f.file.endsWith(`/rejected.${ORDER_REJECTION_RECORDED}.json`))!;

const activities = (history: History) =>
  history.events!.flatMap((e) =>
    e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [],
  );
const patchIds = (history: History) => history.events!.flatMap((e) => patchIdOf(e) ?? []);

const unguarded = (source: string) => source.replace('if (patched(ORDER_REJECTION_RECORDED))', 'if (true)');
const rolledBack = (source: string) => source.replace('if (patched(ORDER_REJECTION_RECORDED))', 'if (false)');

describe('a saga change guarded by patched(): rejections are recorded', () => {
  it('has a history from before the change and one from after it', () => {
    expect(before, 'test/fixtures/histories/rejected.json').toBeDefined();
    expect(
      after,
      `record it with: npm run record-histories -- --only rejected --tag ${ORDER_REJECTION_RECORDED}`,
    ).toBeDefined();
    // Rejected after its first step: that step, then its undoing.
    expect(activities(before.history)).toEqual(compensatedPath(APPROVAL.after));
    expect(patchIds(before.history)).toEqual([]);
    expect(activities(after.history)).toEqual([
      APPROVAL.after,
      'recordRejection',
      ...compensatedPath(APPROVAL.after).slice(1),
    ]);
    expect(patchIds(after.history)).toEqual([ORDER_REJECTION_RECORDED]);
  });

  it('replays both the saga rejected before the change and the one rejected after it on the current code', async () => {
    const failures = await replayFixtures([before, after]);
    expect(failures.map((f) => f.message)).toEqual([]);
  });

  it('would break the sagas rejected before the change without the patched() guard', async () => {
    const failures = await replayFixtures([before], alteredWorkflows('unguarded-change', unguarded, LEGACY_SAGA));
    expect(failures.map((f) => f.file)).toEqual([before.file]);
    expect(failures[0]!.error).toBeInstanceOf(DeterminismViolationError);
    // Where the old saga went on to upsert OrderStatus=COMPENSATING, the new code schedules recordRejection.
    expect(failures[0]!.divergingEvent?.description).toBe('UpsertWorkflowSearchAttributes');
    expect(failures[0]!.message).toContain('test/fixtures/histories/rejected.json does not replay deterministically');
  });

  it('cannot simply be rolled back once sagas ran with it: the history from after the change needs the new step', async () => {
    const failures = await replayFixtures(
      [before, after],
      alteredWorkflows('rolled-back-change', rolledBack, LEGACY_SAGA),
    );
    expect(failures.map((f) => f.file)).toEqual([after.file]);
    expect(failures[0]!.error).toBeInstanceOf(DeterminismViolationError);
    expect(failures[0]!.divergingEvent?.description).toBe(`MarkerRecorded (patch '${ORDER_REJECTION_RECORDED}')`);
  });
});
