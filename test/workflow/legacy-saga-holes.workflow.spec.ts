import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Cell } from './matrix/cells';
import { brokenInvariants, INVARIANTS } from './matrix/invariants';
import { runCell } from './matrix/run-cell';
import { useTimeSkippingSaga } from './saga-env';

/**
 * The same matrix cells, run against the saga as it was before the point of no return
 * (workflows/legacy/order-saga-v1.ts, which old histories still replay): each cell breaks the
 * promise there, and saga-matrix.workflow.spec.ts shows the current saga keeping it in the same cell.
 * Only raw workflow cancels: the first version had no cancel Update.
 */
const holes: Array<{ cell: Cell; breaks: Array<(typeof INVARIANTS)[number]> }> = [
  // A cancel while the order completes: the first saga compensates a completed order. With
  // today's guarded order service the compensation is refused (OrderClosed), so the saga fails
  // instead of refunding; either way it does not end as the promise says.
  {
    cell: {
      id: 'completeOrder.cancel-during.workflow-cancel',
      step: 'completeOrder',
      fault: 'cancel-during',
      channel: 'workflow-cancel',
    },
    breaks: [INVARIANTS[0], INVARIANTS[1]],
  },
  // The order service down for longer than the compensation budget: markCompensating escapes,
  // the refund never runs, the workflow fails with the customer charged.
  {
    cell: { id: 'reserveItems.order-service-outage', step: 'reserveItems', fault: 'order-service-outage' },
    breaks: [INVARIANTS[0], INVARIANTS[5]],
  },
  // The dead-letter store down for longer than the budget: the failure escapes before any compensation.
  {
    cell: {
      id: 'scheduleShipment.dead-letter-store-outage',
      step: 'scheduleShipment',
      fault: 'dead-letter-store-outage',
    },
    breaks: [INVARIANTS[0], INVARIANTS[5]],
  },
  // A cancel while createOrder waits to retry: Temporal cancels the activity at once, the order is
  // never created, and the first saga writes OrderCompensating and OrderCancelled into a stream
  // without OrderCreated: the order the API accepted is never readable.
  {
    cell: {
      id: 'createOrder.cancel-in-backoff.workflow-cancel',
      step: 'createOrder',
      fault: 'cancel-in-backoff',
      channel: 'workflow-cancel',
    },
    breaks: [INVARIANTS[3]],
  },
  // A compensation that could not succeed still reads as a clean CANCELLED.
  {
    cell: { id: 'processPayment.compensation-fails', step: 'processPayment', fault: 'compensation-fails' },
    breaks: [INVARIANTS[1]],
  },
];

describe('the first saga breaks the promise in cells the current saga keeps', () => {
  const t = useTimeSkippingSaga(path.resolve(__dirname, 'legacy-workflows.ts'));

  it.each(holes)('$cell.id', { timeout: 60_000 }, async ({ cell, breaks }) => {
    const outcome = await runCell(t, cell, { legacy: true });
    const broken = await brokenInvariants(t.db, outcome, 'ended');
    for (const invariant of breaks)
      expect(
        broken.some((b) => b.startsWith(invariant)),
        `${invariant} in ${JSON.stringify(broken)}`,
      ).toBe(true);
  });
});
