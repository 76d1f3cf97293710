import { errorText, round } from './util';

/**
 * The order of the sides in round `round` (counted over the whole run, not per level): the first
 * stays first, the others swap places every round. A round is charged with what the servers still
 * do for the round before it; in a fixed order one side would always pay for the same other side's
 * tail. This way the sides behind the first follow each other in turn: each runs right after the
 * other in every second round, and the first side always follows the last round's last side.
 */
export function sidesInRound<T>(sides: readonly T[], round: number): T[] {
  const [first, ...rest] = sides;
  if (first === undefined) return [];
  return [first, ...(round % 2 === 0 ? rest : [...rest].reverse())];
}

export interface TurnTotals {
  events: number;
  ms: number;
  /** Events/s of each counted turn, in order. */
  turns: number[];
  /** The first failure; the variant takes no more turns. */
  error?: string;
}

/** Rounds that every variant takes before the counted ones (the reports say how many). */
export const WARMUP_ROUNDS = 1;

/**
 * Variants take turns, round after round, so drift on a shared machine hits them alike. The first
 * WARMUP_ROUNDS rounds are a warm-up that is not counted: the first turn of a run would otherwise
 * pay for the JITs alone (the stand-in's and Node's), and it is always the same variant's. A
 * variant whose turn throws takes no more turns.
 */
export async function takeTurns<V>(
  variants: readonly V[],
  rounds: number,
  turn: (variant: V, round: number) => Promise<{ ops: number; ms: number }>,
  onRoundDone: (round: number, warmup: boolean) => void = () => {},
): Promise<Map<V, TurnTotals>> {
  const totals = new Map<V, TurnTotals>(variants.map((v) => [v, { events: 0, ms: 0, turns: [] }]));
  for (let r = 0; r < WARMUP_ROUNDS + rounds; r++) {
    const warmup = r < WARMUP_ROUNDS;
    for (const variant of variants) {
      const total = totals.get(variant)!;
      if (total.error) continue;
      try {
        const { ops, ms } = await turn(variant, r);
        if (warmup) continue;
        total.events += ops;
        total.ms += ms;
        total.turns.push(round(ops / (ms / 1000), 1));
      } catch (err) {
        total.error = errorText(err);
      }
    }
    onRoundDone(r, warmup);
  }
  return totals;
}
