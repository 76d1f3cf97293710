/**
 * The soak scenario's arithmetic, pure: orders bucketed by minute, and the verdicts on its goals.
 * bench/scenarios/soak.ts measures; this decides what the measurements say.
 */
import { summarize } from './util';

/** What the soak knows of one order; times are ms since the soak's first arrival. */
export interface SoakOrder {
  placedAtMs: number;
  /** When its saga's result arrived, or null when it never did (refused, failed, still running at the end). */
  endedAtMs: number | null;
  status: string | null;
  /** Activity tasks that timed out in its history (ActivityTaskTimedOut events). */
  activityTimeouts: number;
}

/** What was sampled at the end of each minute. */
export interface MinuteSample {
  rssMiB: Record<string, number | null>;
  /** Dead letters in the collection (all sources, all statuses) at the end of the minute. */
  deadLetters: number;
  /** Entries in the server's oplog (local.oplog.rs) at the end of the minute; null where it cannot be read. */
  oplogEntries: number | null;
  loadAverage: number;
}

export interface SoakMinute extends MinuteSample {
  minute: number;
  placed: number;
  /** Sagas completed within this minute, whenever they were placed. */
  completed: number;
  /** Of the orders placed in this minute: place -> completed latency, completed ones only. */
  p50Ms: number;
  p99Ms: number;
  /** Orders placed by the minute's end whose saga had not ended by then: the backlog memory also holds. */
  inFlight: number;
  /** Of the orders placed in this minute: those that did not end COMPLETED. */
  notCompleted: number;
  activityTimeouts: number;
}

export const SOAK_GOALS = {
  /** The last minute's completions may differ from the first minute's by at most this fraction. */
  throughputDrift: 0.1,
  /** Each process's RSS may grow by less than this fraction from the warm-up minute to the last. */
  rssGrowth: 0.1,
  /** Memory is judged from the end of this minute on (runs of 4 minutes or fewer: from minute 1). */
  warmUpMinutes: 3,
} as const;

/** The minute whose end-of-minute RSS the last minute's is compared with. */
export function memoryBaseMinute(minutes: number): number {
  return minutes > SOAK_GOALS.warmUpMinutes + 1 ? SOAK_GOALS.warmUpMinutes : 1;
}

export function perMinute(orders: SoakOrder[], samples: MinuteSample[]): SoakMinute[] {
  return samples.map((sample, i) => {
    const from = i * 60_000;
    const to = from + 60_000;
    const placed = orders.filter((o) => o.placedAtMs >= from && o.placedAtMs < to);
    const done = placed.filter((o) => o.status === 'COMPLETED' && o.endedAtMs !== null);
    const latency = summarize(done.map((o) => o.endedAtMs! - o.placedAtMs));
    return {
      minute: i + 1,
      placed: placed.length,
      completed: orders.filter(
        (o) => o.status === 'COMPLETED' && o.endedAtMs !== null && o.endedAtMs >= from && o.endedAtMs < to,
      ).length,
      p50Ms: latency.p50,
      p99Ms: latency.p99,
      inFlight: orders.filter(
        (o) => o.placedAtMs < to && !o.status?.startsWith('HTTP ') && (o.endedAtMs === null || o.endedAtMs >= to),
      ).length,
      notCompleted: placed.length - done.length,
      activityTimeouts: placed.reduce((n, o) => n + o.activityTimeouts, 0),
      ...sample,
    };
  });
}

export interface SoakVerdict {
  goal: string;
  measured: string;
  met: boolean | null;
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function soakVerdicts(
  minutes: SoakMinute[],
  totals: { activityTimeouts: number; deadLetters: number },
): SoakVerdict[] {
  const verdicts: SoakVerdict[] = [];
  const first = minutes[0];
  const last = minutes.at(-1);
  if (first && last && minutes.length > 1 && first.completed > 0) {
    const drift = (last.completed - first.completed) / first.completed;
    verdicts.push({
      goal: `last minute's throughput within ${SOAK_GOALS.throughputDrift * 100}% of the first's`,
      measured: `${first.completed}/min -> ${last.completed}/min (${pct(drift)})`,
      met: Math.abs(drift) <= SOAK_GOALS.throughputDrift,
    });
  } else {
    verdicts.push({ goal: 'throughput holds', measured: 'fewer than two minutes with completions', met: null });
  }
  verdicts.push({
    goal: '0 activity timeouts',
    measured: String(totals.activityTimeouts),
    met: totals.activityTimeouts === 0,
  });
  verdicts.push({ goal: '0 dead letters', measured: String(totals.deadLetters), met: totals.deadLetters === 0 });
  const base = minutes[memoryBaseMinute(minutes.length) - 1];
  if (base && last && last !== base) {
    for (const name of Object.keys(last.rssMiB)) {
      const from = base.rssMiB[name];
      const to = last.rssMiB[name];
      const growth = typeof from === 'number' && typeof to === 'number' && from > 0 ? (to - from) / from : NaN;
      verdicts.push({
        goal: `${name}: RSS growth from minute ${base.minute} to minute ${last.minute} < ${SOAK_GOALS.rssGrowth * 100}%`,
        measured: Number.isFinite(growth) ? `${from} -> ${to} MiB (${pct(growth)})` : 'not sampled',
        met: Number.isFinite(growth) ? growth < SOAK_GOALS.rssGrowth : null,
      });
    }
  }
  return verdicts;
}
