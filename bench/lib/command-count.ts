/**
 * MongoDB commands per saga, counted with the driver's command monitor (`commandStarted`) on each
 * process's own client, and split per step by the async context the command was started in.
 *
 * The driver emits `commandStarted` synchronously in the call that sends the command, so the
 * caller's AsyncLocalStorage context is current there (test/unit/bench checks it against a real
 * server, a connection waited for included). In the worker that context is the one the Temporal SDK
 * sets around each activity (`asyncLocalStorage` of @temporalio/activity), so the activity type is
 * the step; a command started outside any activity (the stock pruning timer) has no step.
 */
import { asyncLocalStorage } from '@temporalio/activity';

export type CommandClass = 'read' | 'write' | 'other';

const READS = new Set(['find', 'aggregate', 'getMore', 'count', 'distinct']);
const WRITES = new Set(['insert', 'update', 'findAndModify', 'delete']);

/** Reads fetch documents, writes change them; everything else (killCursors, endSessions, indexes…) is "other". */
export function classify(commandName: string): CommandClass {
  if (READS.has(commandName)) return 'read';
  if (WRITES.has(commandName)) return 'write';
  return 'other';
}

/** The event store's own collections (eventstore/collections.ts): what group commit writes and reads. */
export const EVENT_STORE_COLLECTIONS: ReadonlySet<string> = new Set(['events', 'counters', 'snapshots']);

/** The collection a command names: its first field's value, or `collection` for a getMore. */
export function collectionOf(commandName: string, command: Record<string, unknown>): string | undefined {
  const named = commandName === 'getMore' ? command.collection : command[commandName];
  return typeof named === 'string' ? named : undefined;
}

export interface Tally {
  reads: number;
  writes: number;
  other: number;
}

/** One step's commands: on the event store's collections, and on everything else (its own). */
export interface StepTally {
  eventStore: Tally;
  own: Tally;
  /** By command and collection ("find events"): what the step's commands are. */
  commands: Record<string, number>;
}

/** process -> step -> commands. */
export type Tallies = Record<string, Record<string, StepTally>>;

/** The step of a command started outside any step (a timer, a process of no steps). */
export const NO_STEP = '';

/**
 * Where the circuit breakers' commands are counted, whichever step they were started in: a guarded
 * step reads its breaker's state (every BREAKER_STATE_FRESH_MS) and has its outcome counted
 * (infra/breakers.ts). They are the breakers' cost, not the step's own work.
 */
export const BREAKERS_STEP = 'circuit breakers (state reads, call counts)';
const BREAKER_COLLECTIONS: ReadonlySet<string> = new Set(['breaker_windows', 'breaker_tokens']);

/** A command on the breakers' own collections, or a read or append of a `breaker-<service>` stream. */
export function isBreakerCommand(collection: string | undefined, command: Record<string, unknown>): boolean {
  if (BREAKER_COLLECTIONS.has(collection ?? '')) return true;
  if (collection !== 'events') return false;
  const streamOf = (doc: unknown) => (doc as { streamId?: unknown } | undefined)?.streamId;
  const stream = streamOf(command.filter) ?? streamOf((command.documents as unknown[] | undefined)?.[0]);
  return typeof stream === 'string' && stream.startsWith('breaker-');
}

/** A command as the monitor reports it (the fields of CommandStartedEvent that are read). */
export interface StartedCommand {
  commandName: string;
  command: Record<string, unknown>;
}

export interface CommandEmitter {
  on(event: 'commandStarted', listener: (event: StartedCommand) => void): unknown;
}

export interface CommandCounter {
  /** Counts every command `client` starts as `process`'s; `stepOf` names the step current where it was started. */
  watch(process: string, client: CommandEmitter, stepOf?: () => string | undefined): void;
  record(process: string, step: string | undefined, command: StartedCommand): void;
  /** A copy of the counts so far. */
  snapshot(): Tallies;
}

const emptyTally = (): Tally => ({ reads: 0, writes: 0, other: 0 });
const emptyStep = (): StepTally => ({ eventStore: emptyTally(), own: emptyTally(), commands: {} });
const KEY: Record<CommandClass, keyof Tally> = { read: 'reads', write: 'writes', other: 'other' };

/** The activity type of the activity whose context is current, if any. */
export const activityStep = (): string | undefined => asyncLocalStorage.getStore()?.info.activityType;

export function createCommandCounter(): CommandCounter {
  const tallies: Tallies = {};
  const record: CommandCounter['record'] = (process, step, { commandName, command }) => {
    const steps = (tallies[process] ??= {});
    const collection = collectionOf(commandName, command);
    const entry = (steps[isBreakerCommand(collection, command) ? BREAKERS_STEP : (step ?? NO_STEP)] ??= emptyStep());
    const side = EVENT_STORE_COLLECTIONS.has(collection ?? '') ? entry.eventStore : entry.own;
    side[KEY[classify(commandName)]]++;
    const name = collection ? `${commandName} ${collection}` : commandName;
    entry.commands[name] = (entry.commands[name] ?? 0) + 1;
  };
  return {
    record,
    watch(process, client, stepOf) {
      client.on('commandStarted', (event) => record(process, stepOf?.(), event));
    },
    snapshot: () => structuredClone(tallies),
  };
}

const mapTally = (a: Tally, b: Tally, op: (x: number, y: number) => number): Tally => ({
  reads: op(a.reads, b.reads),
  writes: op(a.writes, b.writes),
  other: op(a.other, b.other),
});

function mapCounts(
  a: Record<string, number> = {},
  b: Record<string, number> = {},
  op: (x: number, y: number) => number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const n = op(a[key] ?? 0, b[key] ?? 0);
    if (n !== 0) out[key] = n;
  }
  return out;
}

/** Combines two tallies cell by cell (a step or process missing on one side counts as zero). */
function combine(a: Tallies, b: Tallies, op: (x: number, y: number) => number): Tallies {
  const out: Tallies = {};
  for (const process of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out[process] = {};
    for (const step of new Set([...Object.keys(a[process] ?? {}), ...Object.keys(b[process] ?? {})])) {
      const x = a[process]?.[step] ?? emptyStep();
      const y = b[process]?.[step] ?? emptyStep();
      out[process][step] = {
        eventStore: mapTally(x.eventStore, y.eventStore, op),
        own: mapTally(x.own, y.own, op),
        commands: mapCounts(x.commands, y.commands, op),
      };
    }
  }
  return out;
}

/** The commands started between two snapshots. */
export const since = (after: Tallies, before: Tallies): Tallies => combine(after, before, (x, y) => x - y);
export const addTallies = (a: Tallies, b: Tallies): Tallies => combine(a, b, (x, y) => x + y);

/** Commands of one measured level: what was counted while its sagas ran, and how many completed. */
export interface LevelCommands {
  sagas: number;
  tallies: Tallies;
}

/** One row of the report: a step's (or a process's) commands per completed saga. */
export interface CommandRow {
  process: string;
  step: string;
  perSaga: number;
  reads: number;
  writes: number;
  other: number;
  /** Of `perSaga`, the commands on the event store's collections. */
  eventStore: number;
}

/**
 * The saga's steps in the order the saga runs them; other activities follow by name. Written out
 * here rather than taken from the domain's step table, because the bench also measures earlier
 * commits (docs/order-core-cost.md), which have no such table.
 */
export const SAGA_STEPS = ['createOrder', 'processPayment', 'reserveItems', 'scheduleShipment', 'completeOrder'];
export const GROUP_COMMIT_ROW = 'event store group commit (appends of every step)';
export const OUTSIDE_ROW = 'outside any activity (timers)';

const stepOrder = (step: string) =>
  step === NO_STEP
    ? Infinity
    : step === BREAKERS_STEP
      ? SAGA_STEPS.length + 1
      : SAGA_STEPS.includes(step)
        ? SAGA_STEPS.indexOf(step)
        : SAGA_STEPS.length;
const bySagaOrder = (a: string, b: string) => stepOrder(a) - stepOrder(b) || a.localeCompare(b);

const sum = (t: Tally) => t.reads + t.writes + t.other;
const plus = (a: Tally, b: Tally) => mapTally(a, b, (x, y) => x + y);

function row(process: string, step: string, t: Tally, eventStore: Tally, sagas: number): CommandRow {
  const per = (n: number) => (sagas > 0 ? n / sagas : NaN);
  return {
    process,
    step,
    perSaga: per(sum(t)),
    reads: per(t.reads),
    writes: per(t.writes),
    other: per(t.other),
    eventStore: per(sum(eventStore)),
  };
}

/**
 * Rows per saga: the worker per step, then every other process as one row. With `groupCommitShared`
 * (more than one saga at a time) the worker's event store commands go to one row of their own: a
 * group carries several steps' appends and runs in the async context of whichever append started
 * it, so splitting it by context would credit one step with the others' appends. One saga at a
 * time, a group only holds the running activity's appends, and each step keeps its own.
 */
export function commandRows(level: LevelCommands, options: { groupCommitShared: boolean }): CommandRow[] {
  const rows: CommandRow[] = [];
  const worker = level.tallies.worker ?? {};
  let shared = emptyTally();
  for (const step of Object.keys(worker).sort(bySagaOrder)) {
    const { eventStore, own } = worker[step]!;
    // The breakers' reads of their streams are not appends: no group commit carries them.
    const ownRow = !options.groupCommitShared || step === BREAKERS_STEP;
    if (!ownRow) shared = plus(shared, eventStore);
    const kept = ownRow ? { all: plus(own, eventStore), eventStore } : { all: own, eventStore: emptyTally() };
    // A step seen only before the level (its tally a difference of zero) has no row.
    if (sum(kept.all) > 0)
      rows.push(row('worker', step === NO_STEP ? OUTSIDE_ROW : step, kept.all, kept.eventStore, level.sagas));
  }
  if (options.groupCommitShared) rows.push(row('worker', GROUP_COMMIT_ROW, shared, shared, level.sagas));
  for (const process of Object.keys(level.tallies)
    .filter((p) => p !== 'worker')
    .sort()) {
    const steps = Object.values(level.tallies[process]!);
    const eventStore = steps.reduce((total, s) => plus(total, s.eventStore), emptyTally());
    const all = steps.reduce((total, s) => plus(total, s.own), eventStore);
    rows.push(row(process, 'all', all, eventStore, level.sagas));
  }
  return rows;
}

/** What each worker step's commands are, then each other process's, per saga ("find events" 1…), most frequent first. */
export function commandsByStep(level: LevelCommands): Array<{ step: string; commands: Array<[string, number]> }> {
  const perSaga = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([name, n]): [string, number] => [name, n / level.sagas])
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const worker = level.tallies.worker ?? {};
  const steps = Object.keys(worker)
    .sort(bySagaOrder)
    .map((step) => ({ step: step === NO_STEP ? OUTSIDE_ROW : step, commands: perSaga(worker[step]!.commands ?? {}) }));
  const others = Object.keys(level.tallies)
    .filter((p) => p !== 'worker')
    .sort()
    .map((process) => ({
      step: process,
      commands: perSaga(
        Object.values(level.tallies[process]!).reduce((all, s) => mapCounts(all, s.commands, (x, y) => x + y), {}),
      ),
    }));
  return [...steps, ...others].filter((s) => s.commands.length > 0);
}

/** Every command of one process per saga. */
export function processTotal(rows: CommandRow[], process: string): number {
  return rows.filter((r) => r.process === process).reduce((sum, r) => sum + r.perSaga, 0);
}

/** Every command of each process, per unit of work (a saga, a GET), whatever step started it. */
export function commandsPerProcess(tallies: Tallies, units: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [process, steps] of Object.entries(tallies)) {
    let n = 0;
    for (const t of Object.values(steps))
      n += t.eventStore.reads + t.eventStore.writes + t.eventStore.other + t.own.reads + t.own.writes + t.own.other;
    if (n > 0) out[process] = units > 0 ? Math.round((n / units) * 100) / 100 : NaN;
  }
  return out;
}

/** The worker's commands per saga without the circuit breakers' (what the order core's steps themselves send). */
export function stepsTotal(rows: CommandRow[]): number {
  return processTotal(
    rows.filter((r) => r.step !== BREAKERS_STEP),
    'worker',
  );
}
