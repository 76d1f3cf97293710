/**
 * npx tsx bench/cost-summary.ts <report.json>...
 *
 * The key figures of what an order costs, from one or more saga runs (`npm run bench -- --only=saga`
 * writes bench/results/<date>-partial.json; copy it aside after each run, as the next one
 * overwrites it), as the Markdown that docs/order-core-cost.md keeps: MongoDB commands per saga per
 * step, each activity's time beside the no-op activity's, the C=1 p50 ratio and the C=16
 * throughput ratio.
 */
import { readFileSync } from 'node:fs';
import {
  commandRows,
  GROUP_COMMIT_ROW,
  OUTSIDE_ROW,
  processTotal,
  SAGA_STEPS,
  type CommandRow,
} from './lib/command-count';
import { table } from './lib/report';
import { detailTable } from './lib/render-commands';

interface Run {
  file: string;
  report: any;
}

const f = (x: unknown, digits = 2) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');
const joined = (values: unknown[], digits = 2) => values.map((v) => f(v, digits)).join(' / ');

const levelOf = (run: Run, concurrency: number) =>
  (run.report.results?.saga?.levels ?? []).find((l: any) => l.concurrency === concurrency);

function rowsAt(run: Run, concurrency: number): CommandRow[] {
  const level = levelOf(run, concurrency);
  return level?.commands ? commandRows(level.commands, { groupCommitShared: concurrency > 1 }) : [];
}

function runsTable(runs: Run[]): string {
  const rows = runs.map((run, i) => {
    const m = run.report.machine;
    const [c1, c16] = [levelOf(run, 1), levelOf(run, 16)];
    const workers = [1, 16].map((c) => processTotal(rowsAt(run, c), 'worker'));
    return [
      i + 1,
      run.report.startedAt.slice(0, 16).replace('T', ' '),
      `${m.loadAverageAtStart.join(' ')} / ${(m.loadAverageAtEnd ?? []).join(' ')}`,
      `${f(c1?.ours.latencyMs.p50, 0)} / ${f(c1?.baseline.latencyMs.p50, 0)}`,
      f(c1?.p50Ratio),
      `${f(c16?.ours.perSecond)} / ${f(c16?.baseline.perSecond)}`,
      f(c16?.throughputRatio),
      joined(workers),
      joined([1, 16].map((c) => processTotal(rowsAt(run, c), 'api'))),
      joined([1, 16].map((c) => processTotal(rowsAt(run, c), 'read side'))),
    ];
  });
  const header = [
    'run',
    'started (UTC)',
    'load average at start / end',
    'C=1 p50 ms ours / no-op',
    'C=1 p50 ratio',
    'C=16 sagas/s ours / no-op',
    'C=16 throughput ratio',
    'worker commands per saga C=1 / C=16',
    'API C=1 / C=16',
    'read side C=1 / C=16',
  ];
  return table(header, rows);
}

/** Where a row goes: the worker's steps in the saga's order, then the worker's other rows, then the other processes. */
function rank([process, step]: [string, string]): number {
  if (process !== 'worker') return 100;
  if (SAGA_STEPS.includes(step)) return SAGA_STEPS.indexOf(step);
  return step === GROUP_COMMIT_ROW ? 99 : step === OUTSIDE_ROW ? 98 : 97;
}

/** Every row of a level in any run, in the report's order (a row one run lacks still has its place). */
function stepNames(runs: Run[], concurrency: number): Array<[string, string]> {
  const seen = new Map<string, [string, string]>();
  for (const run of runs)
    for (const r of rowsAt(run, concurrency)) seen.set(`${r.process}/${r.step}`, [r.process, r.step]);
  return [...seen.values()].sort((a, b) => rank(a) - rank(b) || a.join('/').localeCompare(b.join('/')));
}

function commandsTable(runs: Run[], concurrency: number): string {
  const rows = stepNames(runs, concurrency).map(([process, step]) => {
    const found = runs.map((run) => rowsAt(run, concurrency).find((r) => r.process === process && r.step === step));
    const first = found.find(Boolean);
    const name = process === 'worker' ? step : `${process} (whole process)`;
    const split = first ? joined([first.reads, first.writes, first.other]) : '–';
    return [name, joined(found.map((r) => r?.perSaga)), split, f(first?.eventStore)];
  });
  const header = [
    'step',
    `commands per saga, run ${runs.map((_, i) => i + 1).join(' / ')}`,
    'reads / writes / other (first run with the row)',
    'on the event store (first run with the row)',
  ];
  return table(header, rows);
}

/** The no-op activity the baseline runs in a step's place (bench/baseline/activities.ts). */
const noopOf = (step: string) => `noop${step[0]!.toUpperCase()}${step.slice(1)}`;

function stepMs(run: Run, side: 'ours' | 'baseline', step: string): { workMs: number; waitMs: number } | undefined {
  return (run.report.results?.saga?.steps ?? []).find((r: any) => r.side === side && r.step === step);
}

function timesTable(runs: Run[]): string {
  const steps = [
    ...SAGA_STEPS.map((s) => [`activity ${s}`, `activity ${noopOf(s)}`]),
    ['workflow task', 'workflow task'],
    ['whole workflow (first to last event)', 'whole workflow (first to last event)'],
  ];
  const rows = steps.map(([ours, noop]) => [
    ours!.replace('activity ', ''),
    joined(
      // A step run as a local activity has its own row name (bench/lib/step-timing.ts).
      runs.map((run) => (stepMs(run, 'ours', ours!) ?? stepMs(run, 'ours', `local ${ours!}`))?.workMs),
      1,
    ),
    joined(
      runs.map((run) => stepMs(run, 'baseline', noop!)?.workMs),
      1,
    ),
  ]);
  const runs_ = runs.map((_, i) => i + 1).join(' / ');
  return table(['step (C=1, p50 of ten sagas)', `ours ms, run ${runs_}`, `no-op ms, run ${runs_}`], rows);
}

/** What each step's commands are, from the last run that recorded them (at C=1 they are the same in every run). */
function detailOf(runs: Run[]): string[] {
  const recorded = (run: Run) =>
    Object.values(levelOf(run, 1)?.commands?.tallies.worker ?? {}).some((s: any) => s.commands);
  const index = runs.map(recorded).lastIndexOf(true);
  if (index < 0) return [];
  return [
    `The commands at C=1, the worker's step by step, then the API's and the read side's (run ${index + 1}):`,
    '',
    detailTable(levelOf(runs[index]!, 1)),
    '',
  ];
}

export function costSummary(runs: Run[]): string {
  return [
    runsTable(runs),
    '',
    'MongoDB commands per saga at C=1 (exact per step):',
    '',
    commandsTable(runs, 1),
    '',
    ...detailOf(runs),
    "MongoDB commands per saga at C=16 (the worker's event store commands in one group commit row):",
    '',
    commandsTable(runs, 16),
    '',
    'Work per step (started → completed), ours beside the no-op activity in the same place:',
    '',
    timesTable(runs),
    '',
  ].join('\n');
}

if (require.main === module) {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: npx tsx bench/cost-summary.ts <report.json>...');
  console.log(costSummary(files.map((file) => ({ file, report: JSON.parse(readFileSync(file, 'utf8')) }))));
}
