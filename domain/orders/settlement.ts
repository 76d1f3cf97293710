/**
 * Settling an order whose saga ended without an outcome: the saga was terminated (from the CLI or
 * the Web UI), timed out, or failed, so no workflow code ran to finish or undo the order, and the
 * order's stream shows no terminal status. Plain data and pure functions: the workflow sandbox imports it.
 */
import type { SagaEventType } from './events';
import type { RepairAction } from './repair';
import type { OrderFacts } from './saga';
import type { SagaSettings, StepPolicy } from './saga-settings';
import { FINAL_STEP, SAGA_STEPS, type CompensationStep, type ForwardStep } from './steps';
import { allows, ORDER_STATUS, TERMINAL_STATUSES, type OrderStatus } from './status';

/**
 * What happens to such an order:
 * - `compensate`: a settle workflow undoes what the order's services recorded and cancels it;
 * - `report`: it is only reported (API, metrics), for an operator to decide;
 * - `hold`: a settle workflow marks it NEEDS_ATTENTION and waits for an operator's repair (retry:
 *   finish it forward; correct: the same with a corrected address; compensate), at most the
 *   saga's repair wait, and a customer's cancel compensates it.
 */
export const SETTLE_POLICIES = ['compensate', 'report', 'hold'] as const;
export type SettlePolicy = (typeof SETTLE_POLICIES)[number];

/**
 * How a saga's run closed without an outcome, as Temporal's visibility spells the statuses
 * (`ExecutionStatus`). A saga that completes has recorded its order's terminal event first.
 */
export const UNSETTLING_CLOSES = ['Terminated', 'TimedOut', 'Failed', 'Canceled'] as const;
export type UnsettlingClose = (typeof UNSETTLING_CLOSES)[number];

/** The settle workflow's id: its own, since the saga's id refuses a second run and belongs to the POST /orders retry path. */
export const settleWorkflowId = (orderId: string): string => `settle-${orderId}`;

/** The reason the settlement records on the order (OrderCompensating, OrderCancelled). */
export const settlementReason = (close: string): string => `saga ended without outcome: ${close}`;

/** Whether an order in this status (null: not recorded) still waits for an outcome. */
export const awaitsOutcome = (status: OrderStatus | null): boolean =>
  status === null || !TERMINAL_STATUSES.includes(status);

/**
 * Whether a settlement under `hold` waits for an operator with an order in this status: one the
 * order's status table lets into NEEDS_ATTENTION. Not an order never recorded (nothing was done to
 * finish), nor one whose approval never came (finishing it would skip the approval): those are
 * compensated, as they are under `compensate`.
 */
export const holdable = (status: OrderStatus | null): boolean =>
  status !== null && status !== ORDER_STATUS.AWAITING_APPROVAL && allows(status, 'OrderNeedsAttention');

/**
 * The forward steps a `retry` still has to run, in order, from where the services' events show the
 * order stopped: a step is done when its service recorded the event it reaches and not the one that
 * undoes it (createOrder is done: the order is recorded). Each step that follows runs with the
 * saga's own activity and the saga's deterministic ids, so one that landed meanwhile is not repeated.
 */
export function remainingSteps(seen: readonly SagaEventType[]): ForwardStep[] {
  const done = (row: (typeof SAGA_STEPS)[number]) =>
    row.reaches === null || (seen.includes(row.reaches) && !seen.includes(row.undoneEvent));
  const first = SAGA_STEPS.findIndex((row) => !done(row));
  return first < 0 ? [] : SAGA_STEPS.slice(first).map((row) => row.step);
}

/** The step a held order waits at: the first one still to run, or the completion when none is. */
export const heldAt = (remaining: readonly ForwardStep[]): ForwardStep | typeof FINAL_STEP.step =>
  remaining[0] ?? FINAL_STEP.step;

/**
 * The compensations a settlement runs, newest first, before the order's own (which records the
 * outcome): every service's. Each decides on its own stream what there is to undo (a refund gives
 * back only what the account's log shows debited; a release frees only what is reserved; a
 * cancellation cancels only a booked shipment) and voids a step that never happened, so a step the
 * ended saga left running on a worker is refused when it lands.
 */
export const SERVICE_COMPENSATIONS: readonly CompensationStep[] = SAGA_STEPS.filter(
  (s) => s.service !== FINAL_STEP.service,
)
  .map((s) => s.compensation)
  .reverse();

/** The order's own compensation: it records the outcome, after the others. */
export const ORDER_COMPENSATION: CompensationStep = SAGA_STEPS.find(
  (s) => s.service === FINAL_STEP.service,
)!.compensation;

export interface SettleOrderInput {
  orderId: string;
  /** How the saga's last run closed (UNSETTLING_CLOSES), as the sweeper found it. */
  close: string;
  /** The saga's run that closed, and when. */
  sagaRunId?: string;
  sagaClosedAt?: string;
  /** `report` only records the order as unsettled; absent: `compensate`. */
  policy?: SettlePolicy;
  /** The saga's own facts, from its input: they record an order the saga never got to record. */
  facts?: OrderFacts;
  correlationId?: string;
  /** Retries of each compensation before it becomes a dead letter (the saga's compensation policy). */
  compensationPolicy?: StepPolicy;
  /** Under `hold`: the forward steps' policies and the repair wait (absent: the defaults). */
  settings?: SagaSettings;
}

/** What a settlement found and did. */
export interface SettleOrderResult {
  orderId: string;
  /**
   * - `settled`: the order was undone and now has its terminal status;
   * - `had-outcome`: it already had one (another settlement, a late saga step, a completion);
   * - `reported`: under the `report` policy, recorded as unsettled and left for an operator;
   * - `nothing-recorded`: no order was recorded and the saga's facts were not at hand, so nothing
   *   was charged, reserved or booked; a late createOrder is found by a later sweep;
   * - `completed`: under `hold`, an operator's retry or correction finished the order forward.
   */
  outcome: 'settled' | 'had-outcome' | 'reported' | 'nothing-recorded' | 'completed';
  status: OrderStatus | null;
  compensationsDone: CompensationStep[];
  compensationsFailed: CompensationStep[];
  openDeadLetters: string[];
  /** Under `hold`: the operator's repair it carried out (none: the wait ran out, or the customer cancelled). */
  repair?: { action: RepairAction; by?: string };
  /** Under `hold`: how the wait ended when no repair did (`timed-out`, `cancelled`). */
  holdEnded?: 'timed-out' | 'cancelled';
}
