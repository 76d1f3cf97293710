import {
  BREAKERS_STEP,
  commandRows,
  commandsByStep,
  processTotal,
  stepsTotal,
  type CommandRow,
  type LevelCommands,
} from './command-count';
import { table, type GoalRow } from './report';

/** The goal: MongoDB commands the worker starts per saga. */
export const WORKER_COMMANDS_GOAL = 13;

/** The levels the command table shows: one saga at a time (exact per step) and C=16. */
const SHOWN_LEVELS = [1, 16];

interface LevelWithCommands {
  concurrency: number;
  commands?: LevelCommands;
}

const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');

const rowsOf = (level: LevelWithCommands): CommandRow[] =>
  level.commands ? commandRows(level.commands, { groupCommitShared: level.concurrency > 1 }) : [];

const shownLevels = (levels: LevelWithCommands[]) =>
  levels.filter((l) => l.commands && SHOWN_LEVELS.includes(l.concurrency));

/** The goal row per shown level: every command of the worker process per completed saga. */
export function commandGoals(levels: LevelWithCommands[]): GoalRow[] {
  return shownLevels(levels).map((level) => {
    const rows = rowsOf(level);
    const worker = stepsTotal(rows);
    const breakers = processTotal(rows, 'worker') - worker;
    return {
      scenario: '1 saga',
      metric: `MongoDB commands of the worker's steps per saga at C=${level.concurrency} (the circuit breakers' apart: ${f2(breakers)})`,
      ours: f2(worker),
      baseline: '0 (no-op activities)',
      ratio: null,
      goal: `<= ${WORKER_COMMANDS_GOAL}`,
      met: Number.isFinite(worker) ? worker <= WORKER_COMMANDS_GOAL : null,
    };
  });
}

/** "reads / writes / other", each per saga. */
const split = (r: CommandRow) => `${f2(r.reads)} / ${f2(r.writes)} / ${f2(r.other)}`;

function stepCells(r: CommandRow): string[] {
  const who = r.process === 'worker' ? r.step : `**${r.process}** (the whole process)`;
  return [who, f2(r.perSaga), split(r), f2(r.eventStore)];
}

/** One level's table: the worker's steps, its total against the goal, then the API and the read side. */
function levelTable(level: LevelWithCommands): string {
  const rows = rowsOf(level);
  const worker = rows.filter((r) => r.process === 'worker' && r.step !== BREAKERS_STEP);
  const breakers = rows.filter((r) => r.process === 'worker' && r.step === BREAKERS_STEP);
  const others = rows.filter((r) => r.process !== 'worker');
  const total = stepsTotal(rows);
  const verdict = total <= WORKER_COMMANDS_GOAL ? 'met' : 'NOT met';
  const goalRow = [`**worker, every step** (goal ≤ ${WORKER_COMMANDS_GOAL})`, `**${f2(total)}** (${verdict})`, '', ''];
  const allRow = ['**worker, the whole process**', `**${f2(processTotal(rows, 'worker'))}**`, '', ''];
  const header = ['step', 'commands per saga', 'of which reads / writes / other', 'of which on the event store'];
  return table(header, [
    ...worker.map(stepCells),
    goalRow,
    ...breakers.map(stepCells),
    allRow,
    ...others.map(stepCells),
  ]);
}

const EXPLANATION = [
  "Counted with the driver's command monitor (`monitorCommands`, `commandStarted`) on the worker's, the API's and the read side's MongoDB clients (one each, as `npm start` runs them; the bench's own reads are not counted), from the start of each of our rounds until every order of the round was readable, divided by the sagas the rounds completed.",
  'A worker command belongs to the activity whose async context started it (the context the Temporal SDK sets around each activity); "outside any activity" is the stock pruning timer. The circuit breakers\' commands (`breaker_windows`, `breaker_tokens`, and reads and appends of the `breaker-<service>` streams) have a row of their own, whatever step started them: the goal of 13 is the steps\' own.',
  'Reads are find, aggregate, getMore, count and distinct; writes are insert, update, findAndModify and delete; other is the rest (killCursors, endSessions, index commands).',
  "At C=1 the split per step is exact. At higher C, concurrent appends are committed in groups that run in the context of whichever append started them, so the worker's commands on the event store's collections (events, counters, snapshots) get one row of their own and the steps show the rest.",
  "The API row is its work for `POST /orders` (the bench's `GET /orders/:id` for each order is made after the round's window and listed apart); the read side is the projector and the email subscription (their change stream's polls included).",
].map((line) => `- ${line}`);

/** At C=1: what each step's (and process's) commands are ("find events × 1"), so a reader sees which round trips to cut. */
export function detailTable(level: LevelWithCommands): string {
  const list = (commands: Array<[string, number]>) =>
    commands.map(([name, n]) => `${name} × ${Number(n.toFixed(2))}`).join(', ');
  return table(
    ['step or process', 'commands per saga (command and collection)'],
    commandsByStep(level.commands!).map((s) => [s.step, list(s.commands)]),
  );
}

/** The report's section on MongoDB commands per saga (empty when the run counted none). */
export function commandsSection(levels: LevelWithCommands[]): string {
  const shown = shownLevels(levels);
  if (shown.length === 0) return '';
  const out = ['### MongoDB commands per saga', '', ...EXPLANATION, ''];
  for (const level of shown)
    out.push(`At C=${level.concurrency} (${level.commands!.sagas} sagas):`, '', levelTable(level), '');
  const c1 = shown.find((l) => l.concurrency === 1);
  if (c1)
    out.push(
      "The commands at C=1, the worker's step by step, then the API's and the read side's:",
      '',
      detailTable(c1),
      '',
    );
  return out.join('\n');
}
