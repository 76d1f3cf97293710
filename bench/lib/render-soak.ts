/** The report's soak section and its goal rows. */
import { table, verdict, type GoalRow } from './report';
import { memoryBaseMinute, SOAK_GOALS, type SoakMinute, type SoakVerdict } from './soak';
import type { LatencySummary } from './util';

interface Half {
  kind: 'spread' | 'hot';
  accounts: number;
  skus: number;
  ratePerSecond: number;
  minutes: number;
  placed: number;
  completed: number;
  refused: number;
  refusedBy?: Record<string, number>;
  failed: number;
  failedBy?: Record<string, number>;
  unfinished: number;
  drainSeconds: number;
  latencyMs: LatencySummary;
  activityTimeouts: number;
  workflowTaskTimeouts?: number;
  deadLetters: number;
  minutesTable: SoakMinute[];
  verdicts: SoakVerdict[];
  peakRssMiB: Record<string, number>;
}

export interface SoakResult {
  /** Where the servers kept their data: in files (each half on servers of its own) or in memory. */
  storage?: 'disk' | 'memory';
  halves: Half[];
  oplogCap?: number | null;
}

const f = (x: unknown, digits = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');
const label = (h: Half) => (h.kind === 'hot' ? 'one account, one SKU' : `${h.accounts} accounts, ${h.skus} SKUs`);

export function soakGoals(soak: SoakResult | undefined): GoalRow[] {
  return (soak?.halves ?? []).flatMap((h) =>
    h.verdicts.map((v): GoalRow => ({
      scenario: `soak (${h.kind})`,
      metric: v.goal,
      ours: v.measured,
      baseline: '',
      ratio: null,
      goal: '',
      met: v.met,
    })),
  );
}

export function soakSection(soak: SoakResult | undefined): string {
  if (!soak?.halves.length) return '';
  const first = soak.halves[0]!;
  const out = ['## Soak', ''];
  out.push(
    `Orders arrive at a fixed rate (${first.ratePerSecond}/s, an open loop: each is placed on its schedule whatever the earlier ones are doing) for ${first.minutes} minute(s) through \`POST /orders\`, each followed to its saga's result; once over ${first.accounts} accounts and SKUs, once on one account and one SKU. Worker, API and read side run as processes of their own. Per minute: sagas completed within that minute; place -> completed p50/p99 of the orders placed in it; orders in flight (placed, not yet ended) at its end; RSS of each process at the minute's end; dead letters in the collection; entries in the MongoDB server's oplog${soak.oplogCap ? ` (the stand-in keeps ${soak.oplogCap})` : ''}; activity timeouts read from the histories of the orders placed in it. **Flat memory** means: each process's RSS at the end of the last minute is less than ${SOAK_GOALS.rssGrowth * 100}% above its RSS at the end of minute ${memoryBaseMinute(first.minutes)} (minute ${SOAK_GOALS.warmUpMinutes} when the run is longer than ${SOAK_GOALS.warmUpMinutes + 1} minutes, else minute 1: the warm-up).${
      soak.storage === 'disk'
        ? ' Each half ran on a Temporal dev server and a MongoDB server of its own, with their data in files on disk, as `npm start` keeps it.'
        : ' The servers are in-memory: their RSS also holds the data the run writes, which a soak only adds to.'
    }`,
    '',
  );
  for (const h of soak.halves) {
    out.push(`### ${label(h)}`, '');
    out.push(
      `${h.completed} of ${h.placed} orders completed (${h.refused} refused${
        h.refusedBy && h.refused
          ? `: ${Object.entries(h.refusedBy)
              .map(([status, n]) => `${n} ${status}`)
              .join(', ')}`
          : ''
      }, ${h.failed} ended otherwise${
        h.failedBy && h.failed
          ? ` (${Object.entries(h.failedBy)
              .map(([how, n]) => `${n}: ${how}`)
              .join('; ')})`
          : ''
      }, ${h.unfinished} unfinished after the drain of ${f(h.drainSeconds, 1)} s); place -> completed p50 ${f(h.latencyMs.p50)} ms, p99 ${f(h.latencyMs.p99)} ms; ${h.activityTimeouts} activity timeouts${h.workflowTaskTimeouts ? ` (and ${h.workflowTaskTimeouts} workflow task timeouts)` : ''}; ${h.deadLetters} dead letters.`,
      '',
    );
    const names = Object.keys(h.minutesTable[0]?.rssMiB ?? {});
    out.push(
      table(
        [
          'minute',
          'placed',
          'completed/min',
          'p50 ms',
          'p99 ms',
          'in flight',
          ...names.map((n) => `RSS ${n} MiB`),
          'timeouts',
          'dead letters',
          'oplog entries',
          'load',
        ],
        h.minutesTable.map((m) => [
          m.minute,
          m.placed,
          m.completed,
          f(m.p50Ms),
          f(m.p99Ms),
          m.inFlight,
          ...names.map((n) => f(m.rssMiB[n], 0)),
          m.activityTimeouts,
          m.deadLetters,
          m.oplogEntries,
          f(m.loadAverage, 2),
        ]),
      ),
      '',
    );
    out.push(
      table(
        ['goal', 'measured', 'verdict'],
        h.verdicts.map((v) => [v.goal, v.measured, verdict(v.met)]),
      ),
      '',
    );
  }
  return out.join('\n');
}
