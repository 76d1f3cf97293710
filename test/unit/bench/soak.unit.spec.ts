import { describe, expect, it } from 'vitest';
import { soakGoals, soakSection } from '../../../bench/lib/render-soak';
import { memoryBaseMinute, perMinute, soakVerdicts, type MinuteSample, type SoakOrder } from '../../../bench/lib/soak';
import { summarize } from '../../../bench/lib/util';

const sample = (rss: Record<string, number | null>, deadLetters = 0): MinuteSample => ({
  rssMiB: rss,
  deadLetters,
  oplogEntries: 1000,
  loadAverage: 1.5,
});
/** `n` orders placed evenly over minute `m` (1-based), each completing `latencyMs` later. */
const minuteOf = (m: number, n: number, latencyMs: number, status = 'COMPLETED'): SoakOrder[] =>
  Array.from({ length: n }, (_, i) => {
    const placedAtMs = (m - 1) * 60_000 + (i * 60_000) / n;
    return { placedAtMs, endedAtMs: placedAtMs + latencyMs, status, activityTimeouts: 0 };
  });

describe('the soak scenario', () => {
  it('counts completions in the minute they happen and latencies in the minute the order was placed', () => {
    const orders = [...minuteOf(1, 60, 500), ...minuteOf(2, 60, 30_000)];
    orders[0]!.activityTimeouts = 2;
    const minutes = perMinute(orders, [sample({ worker: 100 }), sample({ worker: 100 })]);
    expect(minutes.map((m) => m.placed)).toEqual([60, 60]);
    // Minute 1: its own 60 (the last ends at 59.5 s). Minute 2: the half of its orders placed before 30 s.
    expect(minutes.map((m) => m.completed)).toEqual([60, 30]);
    expect(minutes[1]!.p50Ms).toBe(30_000);
    expect(minutes[0]!.activityTimeouts).toBe(2);
    // At the end of minute 2 the orders placed after 30 s are still running.
    expect(minutes.map((m) => m.inFlight)).toEqual([0, 30]);
  });

  it('leaves orders that did not complete out of the latencies and counts them as not completed', () => {
    const orders = [...minuteOf(1, 4, 100), { placedAtMs: 10, endedAtMs: null, status: null, activityTimeouts: 0 }];
    const [minute] = perMinute(orders, [sample({})]);
    expect(minute!.notCompleted).toBe(1);
    expect(minute!.p99Ms).toBe(100);
  });

  it('judges memory from minute 3 in a long run and from minute 1 in a short one', () => {
    expect(memoryBaseMinute(10)).toBe(3);
    expect(memoryBaseMinute(5)).toBe(3);
    expect(memoryBaseMinute(4)).toBe(1);
    expect(memoryBaseMinute(2)).toBe(1);
  });

  it('meets its goals when throughput holds, nothing timed out or died, and memory stayed within 10%', () => {
    const rss = [200, 300, 310, 312, 330];
    const minutes = perMinute(
      rss.flatMap((_, i) => minuteOf(i + 1, 180, 400)),
      rss.map((r) => sample({ worker: r, 'MongoDB server': 500 })),
    );
    const verdicts = soakVerdicts(minutes, { activityTimeouts: 0, deadLetters: 0 });
    expect(verdicts.every((v) => v.met === true)).toBe(true);
    expect(verdicts.find((v) => v.goal.startsWith('worker'))!.goal).toContain('minute 3 to minute 5');
  });

  it('fails the goals a leak, a slowdown, a timeout or a dead letter breaks', () => {
    const minutes = perMinute(
      [...minuteOf(1, 180, 400), ...minuteOf(2, 150, 400)],
      [sample({ worker: 200, api: 100 }), sample({ worker: 221, api: 105 }, 1)],
    );
    const verdicts = soakVerdicts(minutes, { activityTimeouts: 1, deadLetters: 1 });
    const met = (start: string) => verdicts.find((v) => v.goal.startsWith(start))?.met;
    expect(met("last minute's throughput")).toBe(false);
    expect(met('0 activity timeouts')).toBe(false);
    expect(met('0 dead letters')).toBe(false);
    expect(met('worker: RSS growth')).toBe(false);
    expect(met('api: RSS growth')).toBe(true);
  });

  it('renders a per-minute table and the verdicts, and the goal rows', () => {
    const minutes = perMinute(
      [...minuteOf(1, 3, 400), ...minuteOf(2, 3, 400)],
      [sample({ worker: 200 }), sample({ worker: 210 })],
    );
    const half = {
      kind: 'hot' as const,
      accounts: 1,
      skus: 1,
      ratePerSecond: 3,
      minutes: 2,
      placed: 6,
      completed: 6,
      refused: 0,
      failed: 0,
      unfinished: 0,
      drainSeconds: 0.4,
      latencyMs: summarize([400]),
      activityTimeouts: 0,
      deadLetters: 0,
      minutesTable: minutes,
      verdicts: soakVerdicts(minutes, { activityTimeouts: 0, deadLetters: 0 }),
      peakRssMiB: { worker: 210 },
    };
    const section = soakSection({ halves: [half], oplogCap: 1000 });
    expect(section).toContain('## Soak');
    expect(section).toContain('### one account, one SKU');
    expect(section).toContain('| 2 | 3 | 3 | 400 | 400 | 0 | 210 | 0 | 0 | 1000 | 1.50 |');
    expect(section).toContain('less than 10% above its RSS at the end of minute 1');
    expect(soakGoals({ halves: [half] }).map((g) => g.scenario)).toEqual(
      Array(half.verdicts.length).fill('soak (hot)'),
    );
  });
});
