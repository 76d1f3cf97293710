/**
 * What a refused history needs said next to its first diverging event: the command the workflow
 * code issued there against the one the history holds (expected and actual, side by side), the
 * source line that issued it, and whether a patched() branch or a new build fits. Pure: it reads
 * the history, the replayer's sentence and the commands the code issued (scripts/replay/command-trace.ts).
 */
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { IssuedCommand } from './command-trace';
import { describeEvent, localActivityOf, patchIdOf } from './events';

type Event = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export type ChangeKind = 'added' | 'removed' | 'changed' | 'patch-removed' | 'other';

export interface Explanation {
  /** What the history holds at the divergence: "ActivityTaskScheduled 'processPayment' (event 11)". */
  expected: string;
  /** What the code did there: "scheduled activity 'fraudCheck'". */
  actual: string;
  /** Attributes of the same command that differ, when the code issued the same kind of command. */
  differences: Array<{ attribute: string; history: string; code: string }>;
  kind: ChangeKind;
  /** The workflow source line that issued the code's command, `file:line`, relative to the repository. */
  source?: string;
  /** Its callers in the workflow code, nearest first. */
  calledFrom: string[];
  /** One or two lines: patched() or a new build, and why. */
  advice: string;
}

/** The event each command kind becomes in a history. */
const EVENT_OF: Record<string, number[]> = {
  scheduleActivity: [EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED],
  scheduleLocalActivity: [EventType.EVENT_TYPE_MARKER_RECORDED],
  setPatchMarker: [EventType.EVENT_TYPE_MARKER_RECORDED],
  startTimer: [EventType.EVENT_TYPE_TIMER_STARTED],
  cancelTimer: [EventType.EVENT_TYPE_TIMER_CANCELED],
  requestCancelActivity: [EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED],
  completeWorkflowExecution: [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED],
  failWorkflowExecution: [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED],
  cancelWorkflowExecution: [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED],
  continueAsNewWorkflowExecution: [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW],
  startChildWorkflowExecution: [EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED],
  signalExternalWorkflowExecution: [EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED],
  requestCancelExternalWorkflowExecution: [EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED],
  upsertWorkflowSearchAttributes: [EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES],
  modifyWorkflowProperties: [EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED],
  scheduleNexusOperation: [EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED],
  updateResponse: [
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
  ],
};

/** The replayer's names for its state machines, as its sentences use them, and the commands they handle. */
const MACHINES: Record<string, string> = {
  Activity: 'scheduleActivity',
  'Local activity': 'scheduleLocalActivity',
  Timer: 'startTimer',
  'Complete workflow': 'completeWorkflowExecution',
  'Fail workflow': 'failWorkflowExecution',
  'Cancel workflow': 'cancelWorkflowExecution',
  'Continue as new workflow': 'continueAsNewWorkflowExecution',
  'Child workflow': 'startChildWorkflowExecution',
  'Signal external WF': 'signalExternalWorkflowExecution',
  'Cancel external WF': 'requestCancelExternalWorkflowExecution',
  Change: 'setPatchMarker',
  Update: 'updateResponse',
  'Nexus operation': 'scheduleNexusOperation',
};

/** The command as the author wrote it: "scheduled activity 'fraudCheck'". */
export function describeCommand(command: IssuedCommand | undefined): string {
  if (!command) return 'issued no command here (it waits for something the history does not hold)';
  const named = command.name ? ` '${command.name}'` : '';
  const attr = (key: string) => command.attributes.find(([k]) => k === key)?.[1];
  switch (command.kind) {
    case 'scheduleActivity':
      return `scheduled activity${named}`;
    case 'scheduleLocalActivity':
      return `ran local activity${named}`;
    case 'startTimer':
      return `started a timer${attr('duration') ? ` of ${attr('duration')!}` : ''}`;
    case 'completeWorkflowExecution':
      return 'completed the workflow';
    case 'failWorkflowExecution':
      return 'failed the workflow';
    case 'cancelWorkflowExecution':
      return 'ended the workflow as cancelled';
    case 'continueAsNewWorkflowExecution':
      return 'continued as new';
    case 'setPatchMarker':
      return `recorded patch marker${named}`;
    case 'startChildWorkflowExecution':
      return `started child workflow${named}`;
    case 'signalExternalWorkflowExecution':
      return `signalled another workflow with${named}`;
    case 'upsertWorkflowSearchAttributes':
      return `upserted search attributes${attr('keys') ? ` (${attr('keys')!})` : ''}`;
    case 'modifyWorkflowProperties':
      return 'upserted its memo';
    case 'cancelTimer':
      return 'cancelled a timer';
    case 'requestCancelActivity':
      return 'requested an activity’s cancellation';
    default:
      return `issued ${command.kind}${named}`;
  }
}

const CLOSED = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);
const COMMAND_EVENTS = new Set<number>(Object.values(EVENT_OF).flat());

const seconds = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  d ? `${(Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6)) / 1000}s` : undefined;

/**
 * The replayer records `TemporalChangeVersion` after each patch marker by itself: an event with
 * no command of the workflow's behind it, so the two sides are lined up without it.
 */
function isOwnCommandEvent(event: Event): boolean {
  if (!COMMAND_EVENTS.has(event.eventType ?? 0)) return false;
  const keys = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
  return !(keys.length === 1 && keys[0] === 'TemporalChangeVersion');
}

/** The command-side identity of a history event: its kind and name, so the two sides can be compared. */
function identityOfEvent(event: Event): { kind: string; name?: string } {
  const type = event.eventType ?? 0;
  if (type === EventType.EVENT_TYPE_MARKER_RECORDED) {
    const patch = patchIdOf(event);
    return patch !== undefined
      ? { kind: 'setPatchMarker', name: patch }
      : { kind: 'scheduleLocalActivity', ...(localActivityOf(event) ? { name: localActivityOf(event) } : {}) };
  }
  const kind = Object.entries(EVENT_OF).find(([, types]) => types.includes(type))?.[0] ?? 'event';
  const name =
    // A timer has no name; its duration tells a saga's approval window from a new sleep.
    seconds(event.timerStartedEventAttributes?.startToFireTimeout) ??
    event.activityTaskScheduledEventAttributes?.activityType?.name ??
    event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ??
    event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
    undefined;
  return { kind, ...(name ? { name } : {}) };
}

/** The same attributes command-trace.ts reads off a command, read off the history's event. */
function attributesOfEvent(event: Event, workflowTaskQueue: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const a = event.activityTaskScheduledEventAttributes;
  if (a) {
    if (a.activityId) out.set('activity id', `'${a.activityId}'`);
    const queue = a.taskQueue?.name;
    if (queue) out.set('task queue', queue === workflowTaskQueue ? "the workflow's" : `'${queue}'`);
    for (const [key, value] of [
      ['schedule-to-close timeout', a.scheduleToCloseTimeout],
      ['schedule-to-start timeout', a.scheduleToStartTimeout],
      ['start-to-close timeout', a.startToCloseTimeout],
      ['heartbeat timeout', a.heartbeatTimeout],
    ] as const) {
      const s = seconds(value);
      if (s && s !== '0s') out.set(key, s);
    }
  }
  const t = event.timerStartedEventAttributes;
  if (t) {
    const s = seconds(t.startToFireTimeout);
    if (s) out.set('duration', s);
  }
  return out;
}

/** The replayer's sentence, read for the command the code issued: its kind and, where it says so, its name or id. */
function hintFrom(message: string): { kind?: string; name?: string; activityId?: string; none?: boolean } {
  if (/No command scheduled for event/.test(message)) return { none: true };
  const type =
    /Activity type of scheduled event '[^']*' does not match activity type of (local )?activity command '([^']*)'/.exec(
      message,
    );
  if (type) return { kind: type[1] ? 'scheduleLocalActivity' : 'scheduleActivity', name: type[2] };
  const id =
    /Activity id of scheduled event '[^']*' does not match activity id of (local )?activity command '([^']*)'/.exec(
      message,
    );
  if (id) return { kind: id[1] ? 'scheduleLocalActivity' : 'scheduleActivity', activityId: id[2] };
  const child = /does not match child workflow type of command '([^']*)'/.exec(message);
  if (child) return { kind: 'startChildWorkflowExecution', name: child[1] };
  const machine = /([A-Z][A-Za-z ]*?) machine (?:does not|cannot) handle this event/.exec(message);
  if (machine) return { kind: MACHINES[machine[1]!] };
  return {};
}

export interface DivergenceInput {
  events: Event[];
  /** The first diverging event, as the replay located it. */
  divergingEventId: number;
  /** The replayer's own sentence. */
  replayerMessage: string;
  /** The commands the code issued while replaying this history, activation by activation. */
  trace: IssuedCommand[][];
  /** Why the gate replays this history ("recorded fixture", "running, not Pinned", …), when it says. */
  why?: string;
  /** Paths in the report are relative to this folder. */
  root: string;
}

/**
 * The command the code issued where the history holds the diverging event; and, where the two
 * sides had to be lined up to find it, the history's event at the same place.
 */
function pickCommand(input: DivergenceInput, task: Event[]): { command?: IssuedCommand; event?: Event } {
  const hint = hintFrom(input.replayerMessage);
  if (hint.none) return {};
  const activations = [...input.trace].reverse();
  if (hint.kind) {
    for (const commands of activations) {
      const found = commands.find(
        (c) =>
          c.kind === hint.kind &&
          (hint.name === undefined || c.name === hint.name) &&
          (hint.activityId === undefined ||
            c.attributes.some(([k, v]) => k === 'activity id' && v === hint.activityId)),
      );
      if (found) return { command: found };
    }
  }
  // A sentence this does not know: line the last activation's commands up with the task's command events.
  const last = activations[0] ?? [];
  const commandEvents = task.filter(isOwnCommandEvent);
  const at = last.findIndex((c, i) => {
    const event = commandEvents[i];
    if (!event) return true;
    const id = identityOfEvent(event);
    return id.kind !== c.kind || id.name !== nameOf(c);
  });
  return at < 0 ? { command: last[0] } : { command: last[at], event: commandEvents[at] };
}

/** A command's name as identityOfEvent names the event it becomes. */
const nameOf = (c: IssuedCommand) =>
  c.kind === 'startTimer' ? c.attributes.find(([k]) => k === 'duration')?.[1] : c.name;

const relative = (root: string, frame: string) => {
  const [, file, line] = /^(.*):(\d+):\d+$/.exec(frame) ?? [];
  if (!file || !line) return frame;
  const rel = path.isAbsolute(file) ? path.relative(root, file) : file;
  return `${rel}:${line}`;
};

export function explainDivergence(input: DivergenceInput): Explanation {
  const { events } = input;
  const index = events.findIndex((e) => Number(e.eventId) === input.divergingEventId);
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const workflowTaskQueue = started?.taskQueue?.name ?? undefined;
  // The diverging event's workflow task: its command events follow the task's completion.
  let completedAt = Math.max(index, 0);
  while (completedAt >= 0 && events[completedAt]?.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    completedAt--;
  const nextTask = events.findIndex(
    (e, i) => i > index && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  );
  const task = events.slice(completedAt + 1, nextTask < 0 ? events.length : nextTask);
  const picked = pickCommand(input, task);
  const { command } = picked;
  const event = picked.event ?? events[index];
  const expected = event ? `${describeEvent(event)} (event ${String(event.eventId)})` : 'no further event';

  const differences: Explanation['differences'] = [];
  let kind: ChangeKind = 'other';
  const historyId = event ? identityOfEvent(event) : undefined;
  const later = events.slice(event ? events.indexOf(event) + 1 : events.length).map((e) => identityOfEvent(e));
  if (historyId?.kind === 'setPatchMarker' && command?.kind !== 'setPatchMarker') kind = 'patch-removed';
  else if (!command || command.kind === 'completeWorkflowExecution') kind = 'removed';
  else if (historyId && historyId.kind === command.kind && historyId.name === nameOf(command)) {
    kind = 'changed';
    const recorded = attributesOfEvent(event!, workflowTaskQueue);
    for (const [attribute, value] of command.attributes) {
      const normalized =
        ['activity id', 'task queue'].includes(attribute) && value !== "the workflow's" ? `'${value}'` : value;
      const history = recorded.get(attribute);
      // The server fills timeouts the code left unset: compare only what the code states.
      if (history !== undefined && history !== normalized) differences.push({ attribute, history, code: normalized });
    }
  } else if (later.some((id) => id.kind === command.kind && id.name === nameOf(command))) kind = 'removed';
  else kind = 'added';

  const [source, ...calledFrom] = (command?.stack ?? []).map((frame) => relative(input.root, frame));
  return {
    expected,
    actual: describeCommand(command),
    differences,
    kind,
    ...(source ? { source } : {}),
    calledFrom,
    advice: advise(kind, {
      at: source,
      history: expected,
      code: describeCommand(command),
      why: input.why,
      ended: CLOSED.has(events.at(-1)?.eventType ?? 0),
      patch: historyId?.kind === 'setPatchMarker' ? historyId.name : undefined,
    }),
  };
}

interface AdviceContext {
  at?: string;
  history: string;
  code: string;
  why?: string;
  ended: boolean;
  patch?: string;
}

/**
 * patched() where the old behaviour can be kept, as a branch, for the histories that reach the
 * change; a new build (Worker Versioning: a Pinned saga finishes on the build it started on) where
 * the history need never meet this code, or where no branch can bring back what it recorded.
 * At most two lines: the verdict with where to act, then the one thing that qualifies it.
 */
export function advise(kind: ChangeKind, c: AdviceContext): string {
  const where = c.at ? ` at ${c.at}` : '';
  const patch = c.patch ?? '?';
  const verdicts: Record<ChangeKind, [string, string?]> = {
    added: [
      `patched() fits: a command added${where} on a path this history reaches; issue it only under \`if (patched('<id>'))\` (a new id in workflows/patches.ts), so histories without the marker skip it.`,
    ],
    removed: [
      `patched() fits: the history's ${c.history} is no longer issued (removed, or moved later); keep it under \`if (!patched('<id>'))\` before ${c.at ?? 'the new command'} for histories without the marker.`,
      "If the saga's step sequence itself changed, freeze the old body in workflows/legacy/ behind one patched() at the saga's start and ship it as a new build (docs/workflow-changes.md).",
    ],
    changed: [
      `patched() fits: the same step with other options${where}; keep the old options for histories without the marker (\`patched('<id>') ? new : old\`).`,
      "Replay compares only an activity's type and id: timeouts, retries and task queue alone change without a guard.",
    ],
    'patch-removed': [
      `new build, not a new patch: this history recorded patch '${patch}', which the code no longer calls; keep patched('${patch}') (or deprecatePatch) while unpinned sagas carry the marker, and let Pinned ones drain on their build.`,
    ],
    other: [
      `patched() fits if the old behaviour can be kept for this history${where}; otherwise ship a new build and let sagas like it finish on theirs (docs/workflow-changes.md).`,
    ],
  };
  let [verdict, note] = verdicts[kind];
  if (c.why?.includes('Pinned to this build')) {
    verdict = `new build: this saga is Pinned to this very build id; give the change a new id (WORKER_BUILD_ID, or derived) and the saga finishes on the build it started on.`;
    note = `Only a hot fix under the same id needs patched()${where}.`;
  } else if (c.why?.includes('not Pinned')) {
    note =
      'This saga is not Pinned: it moves to the current build at its next task, so a new build alone does not protect it.';
  } else if (c.ended && c.why === 'recent') {
    note = 'This saga has ended: Pinned sagas like it never replay on a new build; unpinned or AutoUpgrade ones would.';
  }
  return note ? `${verdict}\n${note}` : verdict;
}
