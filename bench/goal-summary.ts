/**
 * npx tsx bench/goal-summary.ts [--scenario="1 saga vs minimal"] <report.json>...
 *
 * The goals of several runs side by side: each run's ratio per goal (a miss in bold), how many runs
 * met it, the range and the median. A goal is met in a run only when that run's own ratio meets it,
 * so the count says how often a single run shows the goal met; the median says where the figure
 * lies. Runs are listed in the order given, with their start and load average, so a row can be
 * traced back to its report. By default it reads the goals against the minimal durable saga.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { table } from './lib/report';

/** The fields of a report's goal row this summary reads (bench/lib/report.ts, Goal). */
export interface GoalRow {
  scenario: string;
  metric: string;
  ratio: number | null;
  goal: string;
  met: boolean | null;
}

export interface SummarizedRun {
  name: string;
  startedAt?: string;
  loadAverageAtStart?: number[];
  goals: GoalRow[];
}

export const DEFAULT_SCENARIO = '1 saga vs minimal';

const f = (x: number) => x.toFixed(2);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One goal over the runs: the runs that measured it are the ones counted. */
export interface GoalOverRuns {
  metric: string;
  goal: string;
  /** Per run, in order: its ratio and whether it met the goal; undefined when the run has no such row. */
  perRun: Array<{ ratio: number; met: boolean } | undefined>;
  measured: number;
  met: number;
  min: number;
  max: number;
  median: number;
}

export function goalsOverRuns(runs: SummarizedRun[], scenario = DEFAULT_SCENARIO): GoalOverRuns[] {
  const metrics: Array<{ metric: string; goal: string }> = [];
  for (const run of runs)
    for (const g of run.goals)
      if (g.scenario === scenario && g.met !== null && !metrics.some((m) => m.metric === g.metric))
        metrics.push({ metric: g.metric, goal: g.goal });
  return metrics.map(({ metric, goal }) => {
    const perRun = runs.map((run) => {
      const row = run.goals.find((g) => g.scenario === scenario && g.metric === metric);
      return row && typeof row.ratio === 'number' && row.met !== null ? { ratio: row.ratio, met: row.met } : undefined;
    });
    const ratios = perRun.flatMap((r) => (r ? [r.ratio] : []));
    return {
      metric,
      goal,
      perRun,
      measured: ratios.length,
      met: perRun.filter((r) => r?.met).length,
      min: Math.min(...ratios),
      max: Math.max(...ratios),
      median: median(ratios),
    };
  });
}

export function goalSummary(runs: SummarizedRun[], scenario = DEFAULT_SCENARIO): string {
  const goals = goalsOverRuns(runs, scenario);
  if (goals.length === 0) throw new Error(`no goals of scenario "${scenario}" in these reports`);
  const runsTable = table(
    ['run', 'report', 'started (UTC)', 'load average at start'],
    runs.map((run, i) => [
      i + 1,
      run.name,
      run.startedAt?.slice(0, 16).replace('T', ' '),
      run.loadAverageAtStart?.map((l) => l.toFixed(2)).join(' '),
    ]),
  );
  const goalsTable = table(
    ['goal', 'ratio per run, in order (misses in bold)', 'met', 'range', 'median'],
    goals.map((g) => [
      `${g.metric} (${g.goal})`,
      g.perRun.map((r) => (r === undefined ? '–' : r.met ? f(r.ratio) : `**${f(r.ratio)}**`)).join(' · '),
      `${g.met} of ${g.measured}`,
      `${f(g.min)}–${f(g.max)}`,
      f(g.median),
    ]),
  );
  return [`Goals of "${scenario}" over ${runs.length} runs:`, '', runsTable, '', goalsTable, ''].join('\n');
}

export function readRun(file: string): SummarizedRun {
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    startedAt?: string;
    machine?: { loadAverageAtStart?: number[] };
    goals?: GoalRow[];
  };
  if (!Array.isArray(report.goals)) throw new Error(`${file}: not a bench report (it has no goals)`);
  return {
    name: path.basename(file, '.json'),
    startedAt: report.startedAt,
    loadAverageAtStart: report.machine?.loadAverageAtStart,
    goals: report.goals,
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const scenario = args.find((a) => a.startsWith('--scenario='))?.slice('--scenario='.length) ?? DEFAULT_SCENARIO;
  const files = args.filter((a) => !a.startsWith('--'));
  if (files.length === 0)
    throw new Error('usage: npx tsx bench/goal-summary.ts [--scenario="1 saga vs minimal"] <report.json>...');
  console.log(goalSummary(files.map(readRun), scenario));
}
