import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { loadConfig } from '../../config';
import { dataConverter } from '../../infra/data-converter';

/** Recorded saga histories (npm run record-histories); never edited by hand. */
export const historiesDir = path.resolve(__dirname, '..', 'fixtures', 'histories');
/** The workflow code the worker runs. */
export const workflowsPath = path.resolve(__dirname, '..', '..', 'workflows', 'index.ts');

export interface Fixture {
  /** Path from the repository root, e.g. test/fixtures/histories/happy-path.json: what a failure names. */
  file: string;
  history: History;
}

export function loadFixtures(dir = historiesDir): Fixture[] {
  const root = path.resolve(__dirname, '..', '..');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: path.relative(root, path.join(dir, f)), history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))) }));
}

export interface ReplayFailure {
  file: string;
  error: Error;
  /** The first history event the workflow code no longer produces the same way, when it could be located. */
  divergingEvent?: { eventId: number; description: string };
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
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // Another part of this process installed the runtime first; its settings stand.
  }
}

async function replayAll(workflows: string, histories: Array<{ workflowId: string; history: History }>, replayName: string) {
  quietRuntime();
  const errors = new Map<string, Error>();
  const options = { workflowsPath: workflows, dataConverter: dataConverter(loadConfig()), replayName };
  for await (const result of Worker.runReplayHistories(options, histories)) {
    if (result.error) errors.set(result.workflowId, result.error);
  }
  return errors;
}

/**
 * Replays every fixture against the workflow code at `workflows` (a workflows/index.ts) the way a
 * worker would run it, with the platform's data converter. Returns one failure per history that
 * does not replay; an empty list means every recorded saga would continue correctly on this code.
 */
export async function replayFixtures(fixtures: Fixture[], workflows = workflowsPath): Promise<ReplayFailure[]> {
  const errors = await replayAll(workflows, fixtures.map((f) => ({ workflowId: f.file, history: f.history })), 'fixtures');
  const failures: ReplayFailure[] = [];
  for (const fixture of fixtures) {
    const error = errors.get(fixture.file);
    if (!error) continue;
    const divergingEvent = error instanceof DeterminismViolationError ? await locateDivergence(fixture, error, workflows) : undefined;
    failures.push({ file: fixture.file, error, divergingEvent, message: describe(fixture.file, error, divergingEvent) });
  }
  return failures;
}

/** The replayer's own sentence, without the SDK's wrapping ("Failure { failure: Some(...) }"). */
export function replayerMessage(error: Error): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(error.message)?.[1];
  return inner ? inner.replace(/\\"/g, '"') : error.message;
}

function describe(file: string, error: Error, event: ReplayFailure['divergingEvent']): string {
  const what = error instanceof DeterminismViolationError ? 'is not deterministic against the current workflow code' : 'failed to replay';
  const where = event ? ` The first diverging event is ${event.eventId} (${event.description}).` : '';
  return `${file} ${what}.${where}\n  Replayer: ${replayerMessage(error)}`;
}

/**
 * Finds the first event where code and history part ways. The replayer says what differs (for
 * example "scheduled event 'processPayment' does not match ... command 'reserveItems'") but not
 * where; so replay growing prefixes of the history, each ending before a workflow task, and the
 * first prefix that fails holds the diverging workflow task. Within it, the event the replayer
 * names (or else the task's first command event) is the answer.
 */
async function locateDivergence(fixture: Fixture, error: Error, workflows: string): Promise<ReplayFailure['divergingEvent']> {
  const events = fixture.history.events ?? [];
  const cuts = events.flatMap((e, i) => (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED && i > 0 ? [i] : [])).concat(events.length);
  const prefixes = cuts.map((cut) => ({ workflowId: `${fixture.file}#${cut}`, history: { events: events.slice(0, cut) } }));
  const failed = await replayAll(workflows, prefixes, 'locate-divergence');
  const firstFailing = cuts.findIndex((cut) => failed.has(`${fixture.file}#${cut}`));
  if (firstFailing < 0) return undefined;
  const from = firstFailing === 0 ? 0 : cuts[firstFailing - 1]!;
  const task = events.slice(from, cuts[firstFailing]);
  const completed = task.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const commands = completed < 0 ? task : task.slice(completed + 1);
  const message = replayerMessage(error);
  const named = /event '([^']+)'/.exec(message)?.[1];
  const byId = /id: (\d+)/.exec(message)?.[1];
  const event =
    (byId && events.find((e) => Number(e.eventId) === Number(byId))) ||
    (named && commands.find((e) => describeEvent(e).includes(`'${named}'`))) ||
    commands[0] ||
    task[0];
  return event ? { eventId: Number(event.eventId), description: describeEvent(event) } : undefined;
}

export function describeEvent(event: temporal.api.history.v1.IHistoryEvent): string {
  const type = EventType[event.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '') ?? String(event.eventType);
  const name =
    event.activityTaskScheduledEventAttributes?.activityType?.name ??
    event.workflowExecutionSignaledEventAttributes?.signalName ??
    event.markerRecordedEventAttributes?.markerName ??
    event.timerStartedEventAttributes?.timerId ??
    event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
  return name ? `${type} '${name}'` : type;
}
