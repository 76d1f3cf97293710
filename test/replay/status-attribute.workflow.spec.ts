import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { History } from '@temporalio/common/lib/proto-utils';
import { ORDER_STATUSES } from '../../domain/orders';
import { SAGA_POINT_OF_NO_RETURN, STATUS_ATTRIBUTE_AT_MILESTONES } from '../../workflows/patches';
import { alteredWorkflows, loadFixtures, patchIdOf, replayFixtures } from './replay-histories';

/**
 * The change: the OrderStatus search attribute is no longer written for the forward steps'
 * statuses, only for those operators search for. Histories tagged saga-point-of-no-return were
 * recorded before it and write every status; those tagged status-attribute-at-milestones after it.
 */
const FORWARD_PROGRESS = ['PAYMENT_COMPLETED', 'ITEMS_RESERVED', 'SHIPMENT_SCHEDULED'];
const fixtures = loadFixtures();
const tagged = (tag: string) => fixtures.filter((f) => f.file.endsWith(`.${tag}.json`));
const before = tagged(SAGA_POINT_OF_NO_RETURN);
const after = tagged(STATUS_ATTRIBUTE_AT_MILESTONES);
const nameOf = (file: string) => file.split('/').pop()!.split('.')[0]!;

/** The OrderStatus values a history wrote, in order. */
const statusesWritten = (history: History): string[] =>
  history.events!.flatMap((e) => {
    const payload = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.OrderStatus;
    return payload?.data ? [JSON.parse(Buffer.from(payload.data).toString('utf8')) as string] : [];
  });

const unguarded = (source: string) => source.replace(' || !patched(STATUS_ATTRIBUTE_AT_MILESTONES)', '');
/** The saga those histories ran on, frozen since its steps became a table. */
const SAGA_V2 = 'legacy/order-saga-v2.ts';

describe('a saga change guarded by patched(): the status search attribute at milestones only', () => {
  it('has, for every path the change affects, a history from before it that wrote the forward statuses and one from after it that did not', () => {
    expect(
      after.length,
      `record them with: npm run record-histories -- --tag ${STATUS_ATTRIBUTE_AT_MILESTONES}`,
    ).toBeGreaterThanOrEqual(5);
    for (const f of after) {
      const old = before.find((b) => nameOf(b.file) === nameOf(f.file));
      expect(old, `a ${SAGA_POINT_OF_NO_RETURN} history of ${nameOf(f.file)}`).toBeDefined();
      const oldStatuses = statusesWritten(old!.history);
      const newStatuses = statusesWritten(f.history);
      expect(
        oldStatuses.some((s) => FORWARD_PROGRESS.includes(s)),
        `${old!.file} writes a forward status`,
      ).toBe(true);
      // The same statuses, minus the forward ones: nothing an operator searches for went missing.
      expect(newStatuses, f.file).toEqual(oldStatuses.filter((s) => !FORWARD_PROGRESS.includes(s)));
      for (const s of newStatuses) expect(ORDER_STATUSES).toContain(s);
      expect(f.history.events!.flatMap((e) => patchIdOf(e) ?? [])).toContain(STATUS_ATTRIBUTE_AT_MILESTONES);
    }
  });

  it('replays the histories from before and after the change on the current code', async () => {
    const failures = await replayFixtures([...before, ...after]);
    expect(failures.map((f) => f.message)).toEqual([]);
  });

  it('would break the sagas that wrote every status without the patched() guard', async () => {
    const affected = before.filter((f) => statusesWritten(f.history).some((s) => FORWARD_PROGRESS.includes(s)));
    expect(affected.length).toBeGreaterThanOrEqual(5);
    const failures = await replayFixtures(affected, alteredWorkflows('unguarded-status-attribute', unguarded, SAGA_V2));
    expect(failures.map((f) => f.file).sort()).toEqual(affected.map((f) => f.file).sort());
    for (const failure of failures) {
      expect(failure.error).toBeInstanceOf(DeterminismViolationError);
      expect(failure.divergingEvent?.description).toBe('UpsertWorkflowSearchAttributes');
    }
  });
});
