/**
 * A workflow interceptor module that the replay bundles carry (never the worker's): after each
 * activation it reports, through a sink, every command the workflow code issued, with the source
 * line that issued it. The replayer says only that code and history disagree; this is how the
 * report can say what the code did instead, and where (scripts/replay/divergence.ts).
 *
 * It runs inside the workflow sandbox, so it only observes: no command of its own, no I/O.
 */
import {
  proxySinks,
  type Sinks,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
  workflowInfo,
} from '@temporalio/workflow';
import type { coresdk } from '@temporalio/proto';

/** A command as the report compares it with a history event: its kind, its name and the attributes replay checks or shows. */
export interface IssuedCommand {
  /** The command's field in the SDK's WorkflowCommand: scheduleActivity, startTimer, completeWorkflowExecution… */
  kind: string;
  /** The activity or child workflow type, the signal name or the patch id, when the command has one. */
  name?: string;
  /** Readable attributes (activity id, task queue, timeouts, timer duration), in a stable order. */
  attributes: Array<[string, string]>;
  /** The workflow code's stack where the command was issued, nearest frame first: `file:line:column`. */
  stack?: string[];
}

export interface CommandTraceSinks extends Sinks {
  commandTrace: { activation(commands: IssuedCommand[]): void };
}

const { commandTrace } = proxySinks<CommandTraceSinks>();

type Duration = { seconds?: unknown; nanos?: number | null } | null | undefined;

/** A protobuf duration (seconds may be a Long) as the SDK's options spell it: "30s", "1.5s". */
function duration(d: Duration): string | undefined {
  if (!d) return undefined;
  const ms = Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6);
  return `${ms / 1000}s`;
}

/** The frames of the workflow's own code: not the SDK, not this module, not a bundled library. */
function callerFrames(): string[] {
  const stack = new Error().stack ?? '';
  return stack
    .split('\n')
    .slice(1)
    .map((line) => /\(?([^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]!}:${m[2]!}:${m[3]!}`)
    .filter((frame) => !/node_modules|command-trace\.ts|webpack\/(bootstrap|runtime)|^node:|<anonymous>/.test(frame))
    .slice(0, 4);
}

function describe(command: coresdk.workflow_commands.IWorkflowCommand): IssuedCommand {
  const kind = Object.keys(command).find((k) => k !== 'userMetadata' && command[k as keyof typeof command] != null);
  const attributes: Array<[string, string]> = [];
  const add = (key: string, value: string | number | null | undefined) => {
    if (value !== undefined && value !== null && value !== '') attributes.push([key, String(value)]);
  };
  let name: string | undefined;
  const activity = command.scheduleActivity ?? command.scheduleLocalActivity;
  if (activity) {
    name = activity.activityType ?? undefined;
    add('activity id', activity.activityId);
    // Left unset, it is the workflow's own queue, whichever queue that was when the history was recorded.
    const queue = command.scheduleActivity?.taskQueue;
    if (queue) add('task queue', queue === workflowInfo().taskQueue ? "the workflow's" : queue);
    add('schedule-to-close timeout', duration(activity.scheduleToCloseTimeout));
    if (command.scheduleActivity) add('schedule-to-start timeout', duration(activity.scheduleToStartTimeout));
    add('start-to-close timeout', duration(activity.startToCloseTimeout));
    if (command.scheduleActivity) add('heartbeat timeout', duration(command.scheduleActivity.heartbeatTimeout));
  } else if (command.startTimer) {
    add('timer', command.startTimer.seq);
    add('duration', duration(command.startTimer.startToFireTimeout));
  } else if (command.startChildWorkflowExecution) {
    name = command.startChildWorkflowExecution.workflowType ?? undefined;
    add('workflow id', command.startChildWorkflowExecution.workflowId);
    const queue = command.startChildWorkflowExecution.taskQueue;
    if (queue) add('task queue', queue === workflowInfo().taskQueue ? "the workflow's" : queue);
  } else if (command.signalExternalWorkflowExecution) {
    name = command.signalExternalWorkflowExecution.signalName ?? undefined;
  } else if (command.setPatchMarker) {
    name = command.setPatchMarker.patchId ?? undefined;
    if (command.setPatchMarker.deprecated) add('deprecated', 'yes');
  } else if (command.scheduleNexusOperation) {
    name = `${command.scheduleNexusOperation.service ?? ''}/${command.scheduleNexusOperation.operation ?? ''}`;
  } else if (command.upsertWorkflowSearchAttributes) {
    const keys = Object.keys(command.upsertWorkflowSearchAttributes.searchAttributes?.indexedFields ?? {});
    add('keys', keys.sort().join(', '));
  }
  return { kind: kind ?? 'unknown', ...(name ? { name } : {}), attributes };
}

/** The command kinds whose issuing call an outbound interceptor sees, keyed by the sequence number they share with it. */
const seqOf = (command: coresdk.workflow_commands.IWorkflowCommand): string | undefined => {
  const seq =
    command.scheduleActivity?.seq ??
    command.scheduleLocalActivity?.seq ??
    command.startTimer?.seq ??
    command.startChildWorkflowExecution?.seq ??
    command.signalExternalWorkflowExecution?.seq ??
    command.scheduleNexusOperation?.seq;
  if (seq === undefined || seq === null) return undefined;
  const kind = command.scheduleActivity
    ? 'activity'
    : command.scheduleLocalActivity
      ? 'local activity'
      : command.startTimer
        ? 'timer'
        : command.startChildWorkflowExecution
          ? 'child'
          : command.signalExternalWorkflowExecution
            ? 'signal'
            : 'nexus';
  return `${kind} ${seq}`;
};

export function interceptors(): WorkflowInterceptors {
  const stacks = new Map<string, string[]>();
  const remember = (key: string) => stacks.set(key, callerFrames());
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (remember(`activity ${input.seq}`), next(input)),
    scheduleLocalActivity: (input, next) => (remember(`local activity ${input.seq}`), next(input)),
    startTimer: (input, next) => (remember(`timer ${input.seq}`), next(input)),
    startChildWorkflowExecution: (input, next) => (remember(`child ${input.seq}`), next(input)),
    signalWorkflow: (input, next) => (remember(`signal ${input.seq}`), next(input)),
    startNexusOperation: (input, next) => (remember(`nexus ${input.seq}`), next(input)),
  };
  return {
    outbound: [outbound],
    internals: [
      {
        concludeActivation(input, next) {
          const output = next(input);
          const issued = output.commands.map((command) => {
            const key = seqOf(command);
            const stack = key ? stacks.get(key) : undefined;
            return { ...describe(command), ...(stack?.length ? { stack } : {}) };
          });
          if (issued.length) commandTrace.activation(issued);
          return output;
        },
      },
    ],
  };
}
