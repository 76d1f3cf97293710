import { describe, expect, it } from 'vitest';
import { compareFairnessRounds, fairnessRoundPlan } from '../../../bench/lib/fairness-rounds';

/** A round's latencies, all alike: their p95 is that value. */
const latencies = (ms: number) => Array.from({ length: 10 }, () => ms);

describe('fairness rounds', () => {
  it('puts every flood round between two alone rounds', () => {
    expect(fairnessRoundPlan(3)).toEqual(['alone', 'flood', 'alone', 'flood', 'alone', 'flood', 'alone']);
    expect(fairnessRoundPlan(1)).toEqual(['alone', 'flood', 'alone']);
  });

  it('holds each flood round against the alone rounds beside it, not against the first one', () => {
    // The machine got twice as slow halfway: the alone rounds' p95 went from 10 s to 20 s.
    const { perRound, median, pooled } = compareFairnessRounds([
      { kind: 'alone', othersMs: latencies(10_000) },
      { kind: 'flood', othersMs: latencies(15_000) },
      { kind: 'alone', othersMs: latencies(20_000) },
      { kind: 'flood', othersMs: latencies(30_000) },
      { kind: 'alone', othersMs: latencies(20_000) },
    ]);
    // Against the first alone round only, the second flood round would read 3.
    expect(perRound).toEqual([1, 1.5]);
    expect(median).toBe(1.25);
    // Pooled: every round's orders together (60 alone, 40 flooded).
    expect(pooled).toEqual({ alone: 20_000, flood: 30_000, ratio: 1.5 });
  });

  it("takes the median of the flood rounds' ratios: one round hit by outside load moves it less than the pooled p95", () => {
    const { perRound, median, pooled } = compareFairnessRounds([
      { kind: 'alone', othersMs: latencies(10_000) },
      { kind: 'flood', othersMs: latencies(12_000) },
      { kind: 'alone', othersMs: latencies(10_000) },
      { kind: 'flood', othersMs: latencies(13_000) },
      { kind: 'alone', othersMs: latencies(10_000) },
      { kind: 'flood', othersMs: latencies(30_000) },
      { kind: 'alone', othersMs: latencies(10_000) },
    ]);
    expect(perRound).toEqual([1.2, 1.3, 3]);
    expect(median).toBe(1.3);
    expect(pooled.ratio).toBe(3);
  });

  it('refuses a flood round with no alone round beside it', () => {
    expect(() =>
      compareFairnessRounds([
        { kind: 'flood', othersMs: latencies(1) },
        { kind: 'alone', othersMs: latencies(1) },
        { kind: 'flood', othersMs: latencies(1) },
        { kind: 'flood', othersMs: latencies(1) },
      ]),
    ).toThrow(/flood round 3 has no alone round/);
  });
});
