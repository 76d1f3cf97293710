import { describe, expect, it } from 'vitest';
import type { History } from '@temporalio/common/lib/proto-utils';
import { scenariosRecordedWith } from '../../scripts/saga-scenarios';
import { SAGA_POINT_OF_NO_RETURN, SAGA_STEP_TABLE, STATUS_ATTRIBUTE_AT_MILESTONES } from '../../workflows/patches';
import { loadFixtures, patchIdOf, replayFixtures } from './replay-histories';

/**
 * The change: the saga reads its steps from the step table, with its handlers and state apart and
 * its proxies built once. It is meant to issue the same commands as the saga it replaced (frozen in
 * workflows/legacy/order-saga-v2.ts), so histories tagged saga-step-table are compared with those
 * the frozen saga recorded on the same path: the same activities with the same summaries, timers,
 * status upserts and memos, in the same order.
 */
const fixtures = loadFixtures();
const tagged = (tag: string) => fixtures.filter((f) => f.file.endsWith(`.${tag}.json`));
const nameOf = (file: string) => file.split('/').pop()!.split('.')[0]!;
const after = tagged(SAGA_STEP_TABLE);

const decode = (data: Uint8Array | null | undefined) =>
  data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown) : undefined;
/** A Web UI summary without the ids each run makes up (its SKUs and account). */
const summaryOf = (e: History['events'] extends (infer E)[] | null | undefined ? E : never) =>
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a summary decodes to a JSON string
  String(decode(e.userMetadata?.summary?.data) ?? 'no summary')
    .replace(/SKU-[\w-]+/g, 'SKU-…')
    .replace(/account \S+/g, 'account …');

/** What a history's saga decided, command by command, without its patch markers and run-specific ids. */
function commands(
  history: History,
  { writesMilestonesOnly, summaries }: { writesMilestonesOnly: boolean; summaries: boolean },
): string[] {
  const summary = (e: Parameters<typeof summaryOf>[0]) => (summaries ? ` (${summaryOf(e)})` : '');
  return history.events!.flatMap((e) => {
    const activity = e.activityTaskScheduledEventAttributes;
    if (activity) return [`activity ${activity.activityType!.name}${summary(e)}`];
    const timer = e.timerStartedEventAttributes;
    if (timer) return [`timer ${String(timer.startToFireTimeout?.seconds)} s${summary(e)}`];
    const status = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.OrderStatus;
    if (status)
      return writesMilestonesOnly ||
        !['PAYMENT_COMPLETED', 'ITEMS_RESERVED', 'SHIPMENT_SCHEDULED'].includes(decode(status.data) as string)
        ? [`status ${String(decode(status.data))}`]
        : [];
    const memo = e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields;
    if (memo) return [`memo ${Object.keys(memo).sort().join(',')}`];
    if (e.workflowExecutionCompletedEventAttributes) return ['completed'];
    if (e.workflowExecutionCanceledEventAttributes) return ['cancelled'];
    return [];
  });
}

describe('a saga change guarded by patched(): the saga reads its step table', () => {
  it('has a history of every saga path recorded on the step-table saga, each with its marker', () => {
    expect(
      after.map((f) => nameOf(f.file)).sort(),
      `record them with: npm run record-histories -- --tag ${SAGA_STEP_TABLE}`,
    ).toEqual(
      scenariosRecordedWith(SAGA_STEP_TABLE)
        .map((s) => s.name)
        .sort(),
    );
    for (const f of after)
      expect(
        f.history.events!.flatMap((e) => patchIdOf(e) ?? []),
        f.file,
      ).toEqual([SAGA_POINT_OF_NO_RETURN, SAGA_STEP_TABLE]);
  });

  it('issues the same commands on every path as the saga it replaced', () => {
    for (const f of after) {
      const name = nameOf(f.file);
      // The frozen saga's latest recording of the path: at milestones where one exists, else from
      // before that change (and before activity summaries, which it then had none of).
      const milestones = tagged(STATUS_ATTRIBUTE_AT_MILESTONES).find((b) => nameOf(b.file) === name);
      const old = milestones ?? tagged(SAGA_POINT_OF_NO_RETURN).find((b) => nameOf(b.file) === name);
      expect(old, `a recording of ${name} by the frozen saga`).toBeDefined();
      const summaries = milestones !== undefined;
      expect(commands(f.history, { writesMilestonesOnly: true, summaries }), f.file).toEqual(
        commands(old!.history, { writesMilestonesOnly: summaries, summaries }),
      );
    }
  });

  it('replays the histories from before and after the change on the current code', async () => {
    const before = [...tagged(SAGA_POINT_OF_NO_RETURN), ...tagged(STATUS_ATTRIBUTE_AT_MILESTONES)];
    const failures = await replayFixtures([...before, ...after]);
    expect(failures.map((f) => f.message)).toEqual([]);
  });
});
