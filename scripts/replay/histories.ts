/**
 * Replaying saga histories against workflow code, the way a worker would run them: what
 * `npm run replay`, the deploy gate (`npm run deploy:check`) and the replay tests use. A failure
 * names the history and, for non-determinism, the first event where code and history part ways,
 * the command the code issued there instead, the source line that issued it and what fits the
 * change: a patched() branch or a new build (scripts/replay/divergence.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type InjectedSinks } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { loadConfig, type Config } from '../../config';
import { dataConverter } from '../../infra/data-converter';
import type { CommandTraceSinks, IssuedCommand } from './command-trace';
import { explainDivergence, type Explanation } from './divergence';
import { describeEvent } from './events';

export { changeVersionsOf, describeEvent, patchIdOf } from './events';

const repoRoot = path.resolve(__dirname, '..', '..');
/** Recorded saga histories (npm run record-histories); never edited by hand. */
export const historiesDir = path.join(repoRoot, 'test', 'fixtures', 'histories');
/** The workflow code the worker runs. */
export const workflowsPath = path.join(repoRoot, 'workflows', 'index.ts');

export interface Fixture {
  /** Path from the repository root, e.g. test/fixtures/histories/happy-path.json: what a failure names. */
  file: string;
  history: History;
  /** Why it is replayed, when a caller knows ("recorded fixture", "running, not Pinned", …): the advice depends on it. */
  why?: string;
}

export function loadFixtures(dir = historiesDir): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: path.relative(repoRoot, path.join(dir, f)),
      history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))),
    }));
}

export interface ReplayFailure {
  file: string;
  error: Error;
  /** The first history event the workflow code no longer produces the same way, when it could be located. */
  divergingEvent?: { eventId: number; description: string };
  /** What the code did at that event instead, where in the code, and what fits the change. */
  explanation?: Explanation;
  /** One readable paragraph: which file, which event, what the replayer said. */
  message: string;
}

const EventType = temporal.api.enums.v1.EventType;

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // A replay that fails is what some tests expect: keep the SDK's own warnings about it quiet.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // Another part of this process installed the runtime first; its settings stand.
  }
}

type Bundle = Awaited<ReturnType<typeof bundleWorkflowCode>>;

/**
 * One bundle per replay: building it takes a second or two; replaying a history with it,
 * milliseconds. It carries the command trace (command-trace.ts), which only observes: the
 * commands are those of the workflow code alone.
 */
async function bundle(workflows: string): Promise<Bundle> {
  quietRuntime();
  return bundleWorkflowCode({
    workflowsPath: workflows,
    workflowInterceptorModules: [path.join(__dirname, 'command-trace.ts')],
    logger: new DefaultLogger('WARN'),
  });
}

/** Where the command trace goes: the commands each history's replay issued, activation by activation. */
type Traces = Map<string, IssuedCommand[][]>;

/** The platform's data converter, as every worker has it: payloads decode (and decrypt) the same way. */
function replayOptions(workflowBundle: Bundle, config: Config, replayName: string, traces: Traces = new Map()) {
  const sinks: InjectedSinks<CommandTraceSinks> = {
    commandTrace: {
      activation: {
        fn: (info, commands) => {
          const trace = traces.get(info.workflowId) ?? [];
          trace.push(commands);
          traces.set(info.workflowId, trace);
        },
        callDuringReplay: true,
      },
    },
  };
  return { workflowBundle, dataConverter: dataConverter(config), replayName, sinks };
}

/**
 * Replays every fixture against the workflow code at `workflows` (a workflows/index.ts) the way a
 * worker would run it, with the platform's data converter. Returns one failure per history that
 * does not replay; an empty list means every recorded saga would continue correctly on this code.
 */
export async function replayFixtures(
  fixtures: Fixture[],
  workflows = workflowsPath,
  config: Config = loadConfig(),
): Promise<ReplayFailure[]> {
  const code = await bundle(workflows);
  const errors = new Map<string, Error>();
  const traces: Traces = new Map();
  const histories = fixtures.map((f) => ({ workflowId: f.file, history: f.history }));
  for await (const result of Worker.runReplayHistories(replayOptions(code, config, 'fixtures', traces), histories)) {
    if (result.error) errors.set(result.workflowId, result.error);
  }
  const failures: ReplayFailure[] = [];
  for (const fixture of fixtures) {
    const error = errors.get(fixture.file);
    if (!error) continue;
    const divergingEvent =
      error instanceof DeterminismViolationError ? await locateDivergence(fixture, error, code, config) : undefined;
    const explanation = divergingEvent
      ? explainDivergence({
          events: fixture.history.events ?? [],
          divergingEventId: divergingEvent.eventId,
          replayerMessage: replayerMessage(error),
          trace: traces.get(fixture.file) ?? [],
          why: fixture.why,
          root: process.cwd(),
        })
      : undefined;
    failures.push({
      file: fixture.file,
      error,
      divergingEvent,
      explanation,
      message: describe(fixture.file, error, divergingEvent, workflows, explanation),
    });
  }
  return failures;
}

/** The replayer's own sentence, without the SDK's wrapping ("Failure { failure: Some(...) }"). */
export function replayerMessage(error: Error): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(error.message)?.[1];
  return inner ? inner.replace(/\\"/g, '"') : error.message;
}

function describe(
  file: string,
  error: Error,
  event: ReplayFailure['divergingEvent'],
  workflows: string,
  explanation?: Explanation,
): string {
  const code = path.relative(repoRoot, path.dirname(workflows));
  const what =
    error instanceof DeterminismViolationError
      ? `does not replay deterministically on the workflow code in ${code}/`
      : `failed to replay on the workflow code in ${code}/`;
  const where = event ? ` The first diverging event is ${event.eventId} (${event.description}).` : '';
  const lines = [`${file} ${what}.${where}`, `  Replayer: ${replayerMessage(error)}`];
  if (explanation) {
    const e = explanation;
    lines.push(`  Command:  new code ${e.actual}; history has ${e.expected}`);
    for (const d of e.differences) lines.push(`            ${d.attribute}: history ${d.history}, new code ${d.code}`);
    lines.push(
      `  Source:   ${e.source ?? '(not known: the SDK reports no call site for this command)'}${
        e.calledFrom.length ? ` (called from ${e.calledFrom.join(', ')})` : ''
      }`,
    );
    const [first, ...rest] = e.advice.split('\n');
    lines.push(`  Advice:   ${first ?? ''}`, ...rest.map((l) => `            ${l}`));
  }
  return lines.join('\n');
}

/**
 * Finds the first event where code and history part ways. The replayer says what differs (for
 * example that the history scheduled one activity where the code schedules another) but not
 * where; so replay prefixes of the history, each ending before a workflow task, and search for
 * the shortest that fails: its last workflow task is where the code diverged. Within it, the event
 * the replayer names (or else the task's first command event) is the answer.
 */
async function locateDivergence(
  fixture: Fixture,
  error: Error,
  code: Bundle,
  config: Config,
): Promise<ReplayFailure['divergingEvent']> {
  const events = fixture.history.events ?? [];
  const cuts = events
    .flatMap((e, i) => (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && i > 0 ? [i] : []))
    .concat(events.length);
  // A prefix without a workflow task (the start event alone) has nothing to replay, and the
  // replayer would wait for a task forever: it cannot be where the code diverged.
  const hasTask = (cut: number) =>
    events.slice(0, cut).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const fails = async (cut: number) =>
    hasTask(cut) &&
    Worker.runReplayHistory(
      replayOptions(code, config, 'locate-divergence'),
      { events: events.slice(0, cut) },
      fixture.file,
    ).then(
      () => false,
      () => true,
    );
  // The whole history fails (cuts.at(-1)); find the first cut that does.
  let low = 0;
  let high = cuts.length - 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (await fails(cuts[mid]!)) high = mid;
    else low = mid + 1;
  }
  const task = events.slice(low === 0 ? 0 : cuts[low - 1]!, cuts[low]);
  const completed = task.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const commands = completed < 0 ? task : task.slice(completed + 1);
  const message = replayerMessage(error);
  const named =
    /event '([^']+)'/.exec(message)?.[1] ?? /patch marker encountered for change ([^\s,!]+)/.exec(message)?.[1];
  const byId = /id: (\d+)/.exec(message)?.[1];
  // "Activity id of scheduled event '2' does not match …": the history's activity id, not an event id.
  const activityId = /Activity id of scheduled event '([^']*)'/.exec(message)?.[1];
  const event =
    (byId && events.find((e) => Number(e.eventId) === Number(byId))) ||
    (activityId !== undefined &&
      commands.find((e) => e.activityTaskScheduledEventAttributes?.activityId === activityId)) ||
    (named && commands.find((e) => describeEvent(e).includes(`'${named}'`))) ||
    commands[0] ||
    task.at(-1);
  return event ? { eventId: Number(event.eventId), description: describeEvent(event) } : undefined;
}
