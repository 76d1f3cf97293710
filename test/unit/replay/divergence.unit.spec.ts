import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { IssuedCommand } from '../../../scripts/replay/command-trace';
import { explainDivergence } from '../../../scripts/replay/divergence';

type Event = temporal.api.history.v1.IHistoryEvent;
type JsonEvent = Record<string, unknown>;

/**
 * A history of one saga in the JSON form the fixtures have: started, then per workflow task its
 * command events; event ids follow.
 */
function history(...tasks: JsonEvent[][]): Event[] {
  const events: JsonEvent[] = [
    {
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      workflowExecutionStartedEventAttributes: { taskQueue: { name: 'orders' } },
    },
  ];
  for (const task of tasks) {
    for (const type of ['Scheduled', 'Started', 'Completed'])
      events.push({
        eventType: `EVENT_TYPE_WORKFLOW_TASK_${type.toUpperCase()}`,
        [`workflowTask${type}EventAttributes`]: {},
      });
    events.push(...task);
  }
  const numbered = events.map((e, i) => ({ ...e, eventId: String(i + 1) }));
  return historyFromJSON({ events: numbered }).events ?? [];
}
const activity = (name: string, activityId: string): JsonEvent => ({
  eventType: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  activityTaskScheduledEventAttributes: {
    activityType: { name },
    activityId,
    taskQueue: { name: 'orders' },
    startToCloseTimeout: '60s',
  },
});
const patchMarker = (patchId: string): JsonEvent => ({
  eventType: 'EVENT_TYPE_MARKER_RECORDED',
  markerRecordedEventAttributes: {
    markerName: 'core_patch',
    details: {
      'patch-data': {
        payloads: [{ data: Buffer.from(JSON.stringify({ id: patchId, deprecated: false })).toString('base64') }],
      },
    },
  },
});
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
/** What the replayer records by itself after a patch marker. */
const changeVersion: JsonEvent = {
  eventType: 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  upsertWorkflowSearchAttributesEventAttributes: {
    searchAttributes: { indexedFields: { TemporalChangeVersion: { data: b64(['x']) } } },
  },
};
const localActivity = (activityType: string): JsonEvent => ({
  eventType: 'EVENT_TYPE_MARKER_RECORDED',
  markerRecordedEventAttributes: {
    markerName: 'core_local_activity',
    details: { data: { payloads: [{ data: b64({ seq: 1, activity_id: '1', activity_type: activityType }) }] } },
  },
});
const completed: JsonEvent = {
  eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
  workflowExecutionCompletedEventAttributes: {},
};
const timerStarted = (duration: string): JsonEvent => ({
  eventType: 'EVENT_TYPE_TIMER_STARTED',
  timerStartedEventAttributes: { timerId: '1', startToFireTimeout: duration },
});

const at = (line: number) => [`/repo/workflows/order-saga.ts:${line}:7`, `/repo/workflows/saga/context.ts:20:3`];
const scheduled = (name: string, line: number): IssuedCommand => ({
  kind: 'scheduleActivity',
  name,
  attributes: [['activity id', '9']],
  stack: at(line),
});
const timer: IssuedCommand = {
  kind: 'startTimer',
  attributes: [
    ['timer', '1'],
    ['duration', '5s'],
  ],
  stack: at(42),
};

const explain = (events: Event[], eventId: number, replayerMessage: string, trace: IssuedCommand[][], why?: string) =>
  explainDivergence({ events, divergingEventId: eventId, replayerMessage, trace, why, root: '/repo' });

describe('explaining a divergence: the command against the event, the line, the advice', () => {
  // createOrder (event 5), then processPayment (event 9), then the end (event 13).
  const saga = history([activity('createOrder', '1')], [activity('processPayment', '2')], [completed]);

  it('a timer where the history scheduled an activity: added, at the line that started it', () => {
    const e = explain(
      saga,
      9,
      'Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 9, ActivityTaskScheduled)',
      [[scheduled('createOrder', 10)], [timer]],
    );
    expect(e).toMatchObject({
      kind: 'added',
      actual: 'started a timer of 5s',
      expected: "ActivityTaskScheduled 'processPayment' (event 9)",
      source: 'workflows/order-saga.ts:42',
      calledFrom: ['workflows/saga/context.ts:20'],
    });
    expect(e.advice).toMatch(/^patched\(\) fits: a command added at workflows\/order-saga\.ts:42/);
  });

  it("a new timer is added even where the history starts a timer of another duration later (the approval's window)", () => {
    const withWindow = history([activity('createOrder', '1')], [activity('processPayment', '2')], [timerStarted('5s')]);
    const e = explain(
      withWindow,
      9,
      'Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 9, ActivityTaskScheduled)',
      [[scheduled('createOrder', 10)], [{ ...timer, attributes: [['duration', '0.01s']] }]],
    );
    expect(e).toMatchObject({ kind: 'added', actual: 'started a timer of 0.01s' });
  });

  it('lines the two sides up past the patch markers, without the search attributes the replayer records for them, where its sentence names no command', () => {
    // Event 5 and 7 patch markers, 6 and 8 their TemporalChangeVersion, 9 the local activity createOrder.
    const guarded = history([
      patchMarker('a'),
      changeVersion,
      patchMarker('b'),
      changeVersion,
      localActivity('createOrder'),
    ]);
    const patch = (name: string): IssuedCommand => ({ kind: 'setPatchMarker', name, attributes: [] });
    const e = explain(guarded, 5, 'Nondeterminism error: Missing associated machine for LocalActivity(1)', [
      [patch('a'), patch('b'), { ...timer, attributes: [['duration', '0.01s']] }],
    ]);
    expect(e).toMatchObject({
      kind: 'added',
      actual: 'started a timer of 0.01s',
      expected: "MarkerRecorded (local activity 'createOrder') (event 9)",
      source: 'workflows/order-saga.ts:42',
    });
  });

  it('completing where the history has another step: removed, with no line to show', () => {
    const e = explain(
      saga,
      9,
      'Nondeterminism error: Complete workflow machine does not handle this event: HistoryEvent(id: 9, ActivityTaskScheduled)',
      [[scheduled('createOrder', 10)], [{ kind: 'completeWorkflowExecution', attributes: [] }]],
    );
    expect(e).toMatchObject({ kind: 'removed', actual: 'completed the workflow', calledFrom: [] });
    expect(e.source).toBeUndefined();
    expect(e.advice).toContain("the history's ActivityTaskScheduled 'processPayment' (event 9) is no longer issued");
  });

  it('no command where the history has one: removed', () => {
    const e = explain(saga, 9, 'No command scheduled for event HistoryEvent(id: 9, ActivityTaskScheduled)', [
      [scheduled('createOrder', 10)],
    ]);
    expect(e).toMatchObject({ kind: 'removed', actual: expect.stringMatching(/^issued no command here/) as string });
  });

  it('an activity where the history recorded a patch marker: the patch was removed, and that needs a new build, not a new patch', () => {
    const patchedSaga = history(
      [activity('createOrder', '1')],
      [patchMarker('fraud-check'), activity('fraudCheck', '2')],
    );
    const e = explain(
      patchedSaga,
      9,
      'Nondeterminism error: Activity machine does not handle this event: HistoryEvent(id: 9, MarkerRecorded)',
      [[scheduled('createOrder', 10)], [scheduled('processPayment', 30)]],
    );
    expect(e).toMatchObject({ kind: 'patch-removed', expected: "MarkerRecorded (patch 'fraud-check') (event 9)" });
    expect(e.advice).toMatch(/^new build, not a new patch: this history recorded patch 'fraud-check'/);
  });

  it('says why a new build alone does not protect a running saga that is not Pinned, and why an ended one matters less', () => {
    const message =
      "Activity type of scheduled event 'processPayment' does not match activity type of activity command 'fraudCheck'";
    const trace = [[scheduled('createOrder', 10)], [scheduled('fraudCheck', 11)]];
    const running = explain(saga, 9, message, trace, 'running, not Pinned');
    expect(running.advice.split('\n')).toEqual([
      expect.stringMatching(/^patched\(\) fits/) as string,
      'This saga is not Pinned: it moves to the current build at its next task, so a new build alone does not protect it.',
    ]);
    const ended = explain(saga, 9, message, trace, 'recent');
    expect(ended.advice.split('\n')[1]).toMatch(
      /^This saga has ended: Pinned sagas like it never replay on a new build/,
    );
  });
});
