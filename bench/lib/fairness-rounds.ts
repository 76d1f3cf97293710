import { percentile, round } from './util';

/** One round of the fairness scenario: the other customers' orders alone, or while the flood runs. */
export interface FairnessRound {
  kind: 'alone' | 'flood';
  /** The other customers' latencies (placing to completion), in ms. */
  othersMs: number[];
}

export interface FairnessComparison {
  /** Per flood round, in order: its others' p95 over the mean p95 of the alone rounds beside it. */
  perRound: number[];
  /**
   * The median of `perRound`: the run's figure. One round that outside load hit harder than its
   * neighbours moves it less than it moves the pooled ratio, whose p95 is that round's tail.
   */
  median: number;
  /** The others' p95 over every flood round's orders, over their p95 over every alone round's. */
  pooled: { alone: number; flood: number; ratio: number };
}

const p95 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    95,
  );

/**
 * Compares the flood rounds with the alone rounds around them. The machine's load drifts over a
 * run (it is shared), so a flood round is held against its own neighbours, measured minutes apart,
 * rather than against one alone round at the start; the pooled ratio takes every round's orders.
 */
export function compareFairnessRounds(rounds: readonly FairnessRound[]): FairnessComparison {
  const perRound: number[] = [];
  rounds.forEach((r, i) => {
    if (r.kind !== 'flood') return;
    const neighbours = [rounds[i - 1], rounds[i + 1]].filter((n): n is FairnessRound => n?.kind === 'alone');
    if (neighbours.length === 0) throw new Error(`flood round ${i} has no alone round beside it`);
    const baseline = neighbours.reduce((sum, n) => sum + p95(n.othersMs), 0) / neighbours.length;
    perRound.push(round(p95(r.othersMs) / baseline));
  });
  const alone = p95(rounds.filter((r) => r.kind === 'alone').flatMap((r) => r.othersMs));
  const flood = p95(rounds.filter((r) => r.kind === 'flood').flatMap((r) => r.othersMs));
  const sorted = [...perRound].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return { perRound, median, pooled: { alone: round(alone, 0), flood: round(flood, 0), ratio: round(flood / alone) } };
}

/** alone, flood, alone, flood, …, alone: every flood round between two alone rounds. */
export const fairnessRoundPlan = (floodRounds: number): Array<FairnessRound['kind']> => [
  'alone',
  ...Array.from({ length: floodRounds }, () => ['flood', 'alone'] as const).flat(),
];
