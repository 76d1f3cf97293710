import { expect } from 'vitest';
import type { SagaEnv } from '../saga-env';
import { expectedEnd, type Cell } from './cells';
import { brokenInvariants } from './invariants';
import { redriveParkedCompensations, runCell, type CellOutcome } from './run-cell';

/**
 * Runs one cell and holds it to the promise: every invariant when the saga ends, the parked
 * compensations redriven, every invariant again once settled, and the end the oracle expects.
 */
export async function checkCell(t: SagaEnv, cell: Cell): Promise<void> {
  await checkedCell(t, cell);
}

/** The same, answering with the cell's outcome for checks of its own. */
export async function checkedCell(t: SagaEnv, cell: Cell): Promise<CellOutcome> {
  const outcome = await runCell(t, cell);
  const broken = await brokenInvariants(t.db, outcome, 'ended');
  if (outcome.saga.compensationsFailed.length > 0) {
    const redriven = await redriveParkedCompensations(t, outcome.run.orderId);
    expect(redriven, 'every parked compensation succeeds once its service is back').toEqual(
      outcome.saga.compensationsFailed.map(() => 'redriven'),
    );
  }
  broken.push(...(await brokenInvariants(t.db, outcome, 'settled')).map((b) => `after redrive: ${b}`));
  expect(outcome.end).toBe(expectedEnd(cell));
  expect(broken).toEqual([]);
  return outcome;
}
