import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goalsOverRuns, goalSummary, median, readRun, type GoalRow } from '../../../bench/goal-summary';

const VS = '1 saga vs minimal';
const throughput = (ratio: number): GoalRow => ({
  scenario: VS,
  metric: 'completed sagas/s at C=16',
  ratio,
  goal: '>= 0.7',
  met: ratio >= 0.7,
});
const cpu = (ratio: number): GoalRow => ({
  scenario: VS,
  metric: 'CPU ms per saga at C=16',
  ratio,
  goal: '<= 1.5x',
  met: ratio <= 1.5,
});
const other: GoalRow = {
  scenario: '1 saga',
  metric: 'completed sagas/s at C=16',
  ratio: 0.5,
  goal: '>= 0.8',
  met: false,
};
const reported: GoalRow = { scenario: VS, metric: 'p50 at C=4', ratio: 1.9, goal: '(shown)', met: null };

describe('the goals of several bench runs side by side', () => {
  const runs = [
    { name: 'a', goals: [throughput(0.72), cpu(1.41), other, reported] },
    { name: 'b', goals: [throughput(0.65), cpu(1.51), other] },
    { name: 'c', goals: [throughput(0.8)] },
  ];

  it('counts a goal met only in the runs whose own ratio meets it, over the runs that measured it', () => {
    const [t, c] = goalsOverRuns(runs);
    expect(t).toMatchObject({ metric: 'completed sagas/s at C=16', measured: 3, met: 2, min: 0.65, max: 0.8 });
    expect(t!.median).toBeCloseTo(0.72);
    expect(t!.perRun.map((r) => r?.met)).toEqual([true, false, true]);
    // The third run has no CPU row: it is neither met nor missed there.
    expect(c).toMatchObject({ measured: 2, met: 1, min: 1.41, max: 1.51 });
    expect(c!.perRun[2]).toBeUndefined();
    expect(c!.median).toBeCloseTo(1.46);
  });

  it('reads only the scenario asked for, and leaves out rows that carry no goal', () => {
    expect(goalsOverRuns(runs).map((g) => g.metric)).toEqual(['completed sagas/s at C=16', 'CPU ms per saga at C=16']);
    const againstNoop = goalsOverRuns(runs, '1 saga');
    expect(againstNoop).toHaveLength(1);
    expect(againstNoop[0]).toMatchObject({ measured: 2, met: 0 });
  });

  it('prints each run in order, misses in bold, and the count, range and median', () => {
    const text = goalSummary(runs);
    expect(text).toContain(
      '| completed sagas/s at C=16 (>= 0.7) | 0.72 · **0.65** · 0.80 | 2 of 3 | 0.65–0.80 | 0.72 |',
    );
    expect(text).toContain('| CPU ms per saga at C=16 (<= 1.5x) | 1.41 · **1.51** · – | 1 of 2 | 1.41–1.51 | 1.46 |');
    expect(() => goalSummary(runs, 'no such scenario')).toThrow(/no goals of scenario "no such scenario"/);
  });

  it('takes the median of an even and an odd count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('reads a report file, and refuses one that is not a bench report', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'goal-summary-'));
    const file = path.join(dir, 'run-1.json');
    writeFileSync(
      file,
      JSON.stringify({
        startedAt: '2026-12-06T00:23:09Z',
        machine: { loadAverageAtStart: [2.3, 1.8, 2.5] },
        goals: [throughput(0.7)],
      }),
    );
    expect(readRun(file)).toMatchObject({ name: 'run-1', startedAt: '2026-12-06T00:23:09Z', goals: [throughput(0.7)] });
    const notReport = path.join(dir, 'other.json');
    writeFileSync(notReport, JSON.stringify({ hello: 1 }));
    expect(() => readRun(notReport)).toThrow(/not a bench report/);
  });
});
