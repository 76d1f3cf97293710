import { describe, expect, it } from 'vitest';
import { allCells, FAULTS, STEPS } from './matrix/cells';
import { checkedCell } from './matrix/check-cell';
import { ACTIVITY_OF } from './matrix/faulty-activities';
import { INVARIANTS } from './matrix/invariants';
import { LOCAL_STEPS } from '../../workflows/saga/local';
import { useTimeSkippingSaga } from './saga-env';

/**
 * The saga fault matrix: every step × every fault that means something there (business failure,
 * exhausted retries, a cancel before / during / just after the step through the API's Update or a
 * raw workflow cancel, a crash after the effect, a compensation that can never succeed, an order
 * service or dead-letter store down for longer than the compensation budget, racing address
 * changes), each held to every invariant of the promise, before and after the parked
 * compensations are redriven. Time-skipping server, real activities on the real MongoDB server
 * (a sample of the same cells runs on the dev server: test/int/saga/fault-matrix-sample.int.spec.ts).
 */
// MATRIX_ONLY=<part of a cell id> runs a subset while investigating one cell.
const only = process.env.MATRIX_ONLY;
const cells = allCells().filter((c) => !only || c.id.includes(only));

describe(`the saga keeps its promise in every cell of the fault matrix (${cells.length} cells × ${INVARIANTS.length} invariants)`, () => {
  const t = useTimeSkippingSaga();

  it.skipIf(only)('covers every step and every fault', () => {
    expect(new Set(cells.map((c) => c.step))).toEqual(new Set(STEPS));
    expect(new Set(cells.map((c) => c.fault)).size).toBe(FAULTS.length);
    expect(cells.length).toBeGreaterThanOrEqual(70);
  });

  // One cell at a time: time skips for every workflow whenever any test awaits a result, so a
  // saga waiting for its operator (approval) must not share the server with another's wait.
  // createOrder runs as a local activity: its cells hold the local activity to the same promise.
  it.each(cells)('$id', { timeout: 60_000 }, async (cell) => {
    const { run } = await checkedCell(t, cell);
    const activity = ACTIVITY_OF[cell.step];
    if ((LOCAL_STEPS as readonly string[]).includes(activity) && run.ranAs?.[activity])
      expect([...run.ranAs[activity]][0], `${activity} runs as a local activity first`).toBe('local');
  });
});
