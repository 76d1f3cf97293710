import { APPROVAL, FINAL_STEP, SAGA_STEPS, type ForwardStep } from '../../../domain/orders/steps';
import type { OrderSagaResult } from '../../../domain/orders';

export type Step = ForwardStep | 'approval' | typeof FINAL_STEP.step;
/** The saga's steps, in order, from the step table; `approval` exists only for orders above the approval threshold. */
export const STEPS: readonly Step[] = [
  ...SAGA_STEPS.flatMap((s): Step[] => (s.step === APPROVAL.after ? [s.step, 'approval'] : [s.step])),
  FINAL_STEP.step,
];

/**
 * What happens to the saga at one step:
 * - `business`: the step refuses on a business rule (approval: the operator rejects);
 * - `approval-timeout`: nobody decides within the 24 h approval window;
 * - `exhausted`: a technical failure outlasts the step's retry budget;
 * - `cancel-before` / `cancel-during` / `cancel-after`: a cancel lands before the step is
 *   scheduled (for createOrder: as the saga starts), while it runs (it finishes anyway), or just after
 *   its effect; through the `cancel` Update (the API) or a raw workflow cancel (the CLI, Web UI);
 * - `cancel-in-backoff`: the step's first attempt fails before its effect, and the cancel lands
 *   while the step waits to retry (Temporal then cancels it at once: the effect never happens);
 * - `crash-after-effect`: the worker dies between the step's effect and its completion;
 * - `compensation-fails`: a cancel just after the step, and the step's compensation can never succeed;
 * - `order-service-outage`: the step exhausts its retries, and the order service is down for
 *   longer than the compensation budget (markCompensating and cancelOrder cannot run);
 * - `dead-letter-store-outage`: the step exhausts its retries, and the dead-letter store is down
 *   for longer than the compensation budget;
 * - `address-race`: two address changes are sent while the step runs.
 */
export const FAULTS = [
  'business',
  'approval-timeout',
  'exhausted',
  'cancel-before',
  'cancel-during',
  'cancel-after',
  'cancel-in-backoff',
  'crash-after-effect',
  'compensation-fails',
  'order-service-outage',
  'dead-letter-store-outage',
  'address-race',
] as const;
export type Fault = (typeof FAULTS)[number];
export type CancelChannel = 'update' | 'workflow-cancel';

export interface Cell {
  id: string;
  step: Step;
  fault: Fault;
  channel?: CancelChannel;
}

/** The compensation that undoes each step, where there is one. */
export const COMPENSATION_OF: Partial<Record<Step, string>> = Object.fromEntries(
  SAGA_STEPS.map((s) => [s.step, s.compensation]),
);

/** Whether a fault means something at a step; the matrix is every meaningful pair. */
function applies(step: Step, fault: Fault): boolean {
  switch (fault) {
    case 'business':
      return step !== 'completeOrder'; // past the point of no return there is no business rule left
    case 'approval-timeout':
      return step === 'approval';
    case 'cancel-in-backoff':
      return step !== 'approval'; // approval is a wait for a person, not an activity that retries
    case 'compensation-fails':
      return COMPENSATION_OF[step] !== undefined;
    case 'order-service-outage':
    case 'dead-letter-store-outage':
      return step !== 'completeOrder'; // completion is never compensated
    default:
      return true;
  }
}

/** Every (step, fault[, channel]) cell, generated rather than listed. */
export function allCells(): Cell[] {
  const cells: Cell[] = [];
  for (const step of STEPS) {
    for (const fault of FAULTS) {
      if (!applies(step, fault)) continue;
      const channels: Array<CancelChannel | undefined> = fault.startsWith('cancel-')
        ? ['update', 'workflow-cancel']
        : [undefined];
      for (const channel of channels)
        cells.push({ id: `${step}.${fault}${channel ? `.${channel}` : ''}`, step, fault, channel });
    }
  }
  return cells;
}

/** Steps before the shipment is booked: an address change is still accepted there. */
export const beforeShipment = (step: Step) =>
  STEPS.indexOf(step) < STEPS.indexOf(SAGA_STEPS.find((s) => 'settlesAddress' in s)!.step);

/**
 * The oracle: how the saga must end in each cell, from the promise alone. A cancel or a failure
 * before the point of no return (the start of completeOrder) cancels; nothing stops completeOrder.
 */
export function expectedEnd(cell: Cell): OrderSagaResult['status'] {
  // A cancel that lands before completeOrder is scheduled is still before the point of no return.
  if (cell.step === 'completeOrder') return cell.fault === 'cancel-before' ? 'CANCELLED' : 'COMPLETED';
  switch (cell.fault) {
    case 'crash-after-effect':
    case 'address-race':
      return 'COMPLETED';
    case 'compensation-fails':
    case 'order-service-outage':
      return 'COMPENSATION_INCOMPLETE';
    default:
      return 'CANCELLED';
  }
}
