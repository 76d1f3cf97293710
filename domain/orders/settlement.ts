/**
 * Settling an order whose saga ended without an outcome: the saga was terminated (from the CLI or
 * the Web UI), timed out, or failed, so no workflow code ran to finish or undo the order, and the
 * order's stream shows no terminal status. Plain data and pure functions: the workflow sandbox imports it.
 */
import type { OrderFacts } from './saga';
import type { StepPolicy } from './saga-settings';
import { FINAL_STEP, SAGA_STEPS, type CompensationStep } from './steps';
import { TERMINAL_STATUSES, type OrderStatus } from './status';

/**
 * What happens to such an order:
 * - `compensate`: a settle workflow undoes what the order's services recorded and cancels it;
 * - `report`: it is only reported (API, metrics), for an operator to decide.
 */
export const SETTLE_POLICIES = ['compensate', 'report'] as const;
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
}

/** What a settlement found and did. */
export interface SettleOrderResult {
  orderId: string;
  /**
   * - `settled`: the order was undone and now has its terminal status;
   * - `had-outcome`: it already had one (another settlement, a late saga step, a completion);
   * - `reported`: under the `report` policy, recorded as unsettled and left for an operator;
   * - `nothing-recorded`: no order was recorded and the saga's facts were not at hand, so nothing
   *   was charged, reserved or booked; a late createOrder is found by a later sweep.
   */
  outcome: 'settled' | 'had-outcome' | 'reported' | 'nothing-recorded';
  status: OrderStatus | null;
  compensationsDone: CompensationStep[];
  compensationsFailed: CompensationStep[];
  openDeadLetters: string[];
}
