import { describe, expect, it } from 'vitest';
import { allCells, FAULTS, type Cell } from '../../workflow/matrix/cells';
import { checkCell } from '../../workflow/matrix/check-cell';
import { INVARIANTS } from '../../workflow/matrix/invariants';
import { useDevServerSaga } from '../../workflow/saga-env';

/**
 * A sample of the saga fault matrix on the real stack: the Temporal dev server (real time, real
 * timers, real task dispatch) and the MongoDB server, with the same fault layer, oracle and
 * invariants as the time-skipping matrix. One cell per fault, its step (and cancel channel) drawn
 * at random each run; MATRIX_SEED=<n> replays a run's draw, MATRIX_SAMPLE=all runs every cell
 * (MATRIX_ONLY=<part of a cell id> narrows that).
 */
const seed = Number(process.env.MATRIX_SEED ?? Math.floor(Math.random() * 1_000_000));

/** mulberry32: a tiny seeded generator, so a failing draw can be replayed exactly. */
function random(s: number) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function sample(): Cell[] {
  const next = random(seed);
  const cells = allCells();
  return FAULTS.map((fault) => {
    const candidates = cells.filter((c) => c.fault === fault);
    return candidates[Math.floor(next() * candidates.length)]!;
  });
}

const only = process.env.MATRIX_ONLY;
const cells = process.env.MATRIX_SAMPLE === 'all' ? allCells().filter((c) => !only || c.id.includes(only)) : sample();

describe(`a sample of the fault matrix on the dev server and MongoDB (MATRIX_SEED=${seed}: ${cells.length} cells × ${INVARIANTS.length} invariants)`, () => {
  const t = useDevServerSaga();

  it.skipIf(only)('covers every fault', () => {
    expect(new Set(cells.map((c) => c.fault))).toEqual(new Set(FAULTS));
  });

  it.each(cells)('$id', { timeout: 90_000 }, (cell) => checkCell(t, cell));
});
