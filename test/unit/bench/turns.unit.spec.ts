import { describe, expect, it } from 'vitest';
import { sidesInRound, takeTurns } from '../../../bench/lib/turns';

describe("takeTurns (the append scenario's rounds)", () => {
  it("runs a warm-up round first and counts only the rounds after it, each turn's rate in order", async () => {
    const calls: string[] = [];
    // A variant's rate rises with the round: a warm-up counted in would show in every figure.
    const totals = await takeTurns(['a', 'b'], 2, async (v, r) => {
      calls.push(`${v}${r}`);
      return { ops: (r + 1) * (v === 'a' ? 100 : 10), ms: 1_000 };
    });
    expect(calls).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    expect(totals.get('a')).toEqual({ events: 500, ms: 2_000, turns: [200, 300] });
    expect(totals.get('b')).toEqual({ events: 50, ms: 2_000, turns: [20, 30] });
  });

  it('stops a variant at its first failure, warm-up included, and keeps the others going', async () => {
    const calls: string[] = [];
    const totals = await takeTurns(['ok', 'bad'], 2, async (v, r) => {
      calls.push(`${v}${r}`);
      if (v === 'bad') throw new Error('server refused');
      return { ops: 10, ms: 1_000 };
    });
    expect(calls).toEqual(['ok0', 'bad0', 'ok1', 'ok2']);
    expect(totals.get('bad')).toMatchObject({ events: 0, turns: [], error: expect.stringContaining('server refused') });
    expect(totals.get('ok')!.turns).toEqual([10, 10]);
  });

  it('tells each round as it ends, the warm-up as such', async () => {
    const rounds: Array<[number, boolean]> = [];
    await takeTurns(
      ['a'],
      2,
      async () => ({ ops: 1, ms: 1 }),
      (r, w) => rounds.push([r, w]),
    );
    expect(rounds).toEqual([
      [0, true],
      [1, false],
      [2, false],
    ]);
  });
});

describe("sidesInRound (the saga scenario's order of sides)", () => {
  it('keeps the first side first and swaps the others every round, so neither always runs right after the other', () => {
    const sides = ['noop', 'minimal', 'ours'];
    const rounds = [0, 1, 2, 3].map((r) => sidesInRound(sides, r));
    expect(rounds).toEqual([
      ['noop', 'minimal', 'ours'],
      ['noop', 'ours', 'minimal'],
      ['noop', 'minimal', 'ours'],
      ['noop', 'ours', 'minimal'],
    ]);
    // Which side each round of a side comes right after, over the run's rounds one after another.
    const run = rounds.flat();
    const after = (side: string) => run.flatMap((s, i) => (s === side && i > 0 ? [run[i - 1]] : []));
    expect(after('ours').filter((s) => s === 'minimal')).toHaveLength(2);
    expect(after('minimal').filter((s) => s === 'ours')).toHaveLength(2);
    expect(after('noop')).toEqual(['ours', 'minimal', 'ours']);
    expect(sides).toEqual(['noop', 'minimal', 'ours']);
  });

  it('leaves one side and no sides as they are', () => {
    expect(sidesInRound(['ours'], 7)).toEqual(['ours']);
    expect(sidesInRound([], 3)).toEqual([]);
  });
});
