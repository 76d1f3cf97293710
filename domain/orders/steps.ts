/**
 * The saga's steps, in one table, as the diagram draws them:
 *
 *   createOrder -> [approval] -> processPayment -> reserveItems -> scheduleShipment -> | completeOrder
 *
 * Each forward step with the service that carries it, the activity it calls (its own name), the
 * compensation that undoes it, whether a cancel may stop the saga before it (a checkpoint), whether
 * it takes turns with address changes, the status event it reaches and its Web UI summary. The
 * step, compensation and service names, the fault points, the retry policies' services and the
 * fault matrix derive from it; the workflow's own table (workflows/saga/steps.ts) adds the calls.
 * Plain data and pure functions: the workflow sandbox imports it.
 */
import { duration, money, plural, short } from './format';
import type { OrderItemInput } from './contract';
import type { SagaEventType } from './events';
import type { BUSINESS_FAILURES } from './business-failures';
import type { StatusEvent } from './status';

/** What a step's summary may tell (no personal data: summaries are metadata, not payloads). */
export interface StepFacts {
  items: readonly OrderItemInput[];
  accountId: string;
  /** Known once createOrder has priced the order. */
  total: number | null;
}

interface StepRow {
  readonly step: string;
  readonly service: string;
  /** Pushed on the undo log before the step runs (a step that timed out may still have taken effect). */
  readonly compensation: string;
  /** A cancel accepted before the step stops the saga there, so the step is never attempted. */
  readonly checkpoint: boolean;
  /** The step and address changes take turns: the last accepted change is the one the step sees. */
  readonly addressLock: boolean;
  /** From the start of this step on the address is settled: changes are refused. */
  readonly settlesAddress?: boolean;
  /** The status the saga shows once the step is done (none: the step leaves it as it was). */
  readonly reaches: StatusEvent | null;
  readonly summary: (facts: StepFacts) => string;
  /** The event that records the compensation. */
  readonly undoneEvent: SagaEventType;
  /** The typed business failure the step refuses with when a rule is broken (the fault matrix plays it). */
  readonly businessFailure: (typeof BUSINESS_FAILURES)[number];
  /**
   * Failures an operator can fix: instead of compensating, the saga waits in NEEDS_ATTENTION for a
   * repair (domain/orders/repair.ts). Money and stock are never repairable: a declined payment or
   * missing stock is the customer's or the shop's answer, not a mistake to correct.
   */
  readonly repairable: readonly (typeof BUSINESS_FAILURES)[number][];
  /** The input an operator's `correct` repair replaces before the step runs again (none: only retry and compensate). */
  readonly correctable?: 'shippingAddress';
}

export const SAGA_STEPS = [
  {
    step: 'createOrder',
    service: 'order',
    compensation: 'cancelOrder',
    // The first step: there is nothing before it for a cancel to stop.
    checkpoint: false,
    addressLock: true,
    reaches: null,
    undoneEvent: 'OrderCancelled',
    businessFailure: 'UnknownSku',
    repairable: [],
    summary: ({ items }) => `price and record the order (${plural(items.length, 'line')})`,
  },
  {
    step: 'processPayment',
    service: 'payment',
    compensation: 'refundPayment',
    checkpoint: true,
    addressLock: false,
    reaches: 'PaymentCompleted',
    undoneEvent: 'PaymentRefunded',
    businessFailure: 'InsufficientFunds',
    repairable: [],
    summary: ({ total, accountId }) => `charge ${money(total ?? 0)} to account ${short(accountId)}`,
  },
  {
    step: 'reserveItems',
    service: 'inventory',
    compensation: 'releaseItems',
    checkpoint: true,
    addressLock: false,
    reaches: 'ItemsReserved',
    undoneEvent: 'ItemsReleased',
    businessFailure: 'OutOfStock',
    repairable: [],
    summary: ({ items }) => `reserve ${items.map((i) => `${i.quantity}× ${i.sku}`).join(', ')}`,
  },
  {
    step: 'scheduleShipment',
    service: 'shipping',
    compensation: 'cancelShipment',
    checkpoint: true,
    addressLock: true,
    settlesAddress: true,
    reaches: 'ShipmentScheduled',
    undoneEvent: 'ShipmentCancelled',
    businessFailure: 'UndeliverableAddress',
    // A carrier that refuses the address (a country it does not serve, a postal code it does not
    // know): an operator who reached the customer corrects it, or retries once the carrier does.
    repairable: ['UndeliverableAddress'],
    correctable: 'shippingAddress',
    summary: () => 'book the shipment',
  },
] as const satisfies readonly StepRow[];

/** The operator's approval: a wait, not an activity, after `after` for orders above the threshold. */
export const APPROVAL = {
  step: 'awaitApproval',
  after: 'createOrder',
  summary: (timeoutMs: number) => `wait up to ${duration(timeoutMs)} for approval`,
} as const satisfies {
  step: string;
  after: (typeof SAGA_STEPS)[number]['step'];
  summary: (timeoutMs: number) => string;
};

/** The point of no return: once it starts, the order completes (never compensated, retried until done). */
export const FINAL_STEP = {
  step: 'completeOrder',
  service: 'order',
  reaches: 'OrderCompleted',
  summary: () => 'mark the order completed',
} as const satisfies { step: string; service: string; reaches: StatusEvent; summary: (facts: StepFacts) => string };

export type ForwardStepRow = (typeof SAGA_STEPS)[number];
/** A forward step that can be undone. */
export type ForwardStep = ForwardStepRow['step'];
export type SagaStep = ForwardStep | typeof APPROVAL.step | typeof FINAL_STEP.step;
export type CompensationStep = ForwardStepRow['compensation'];
export type ServiceName = ForwardStepRow['service'] | typeof FINAL_STEP.service;
export type CompensationOf<S extends ForwardStep> = Extract<ForwardStepRow, { step: S }>['compensation'];

/** The forward steps in order. */
export const FORWARD_STEPS: readonly ForwardStep[] = SAGA_STEPS.map((s) => s.step);
/** The compensations in the order they undo (newest first). */
export const COMPENSATION_STEPS: readonly CompensationStep[] = SAGA_STEPS.map((s) => s.compensation).reverse();
/** Every step an activity carries (the approval is a wait), in order. */
export const ACTIVITY_STEPS: readonly (ForwardStep | typeof FINAL_STEP.step)[] = [...FORWARD_STEPS, FINAL_STEP.step];
/** Every service a step or compensation calls, each once. */
export const SERVICES: readonly ServiceName[] = [
  ...new Set<ServiceName>([...SAGA_STEPS.map((s) => s.service), FINAL_STEP.service]),
];

export const isCompensationStep = (step: unknown): step is CompensationStep =>
  (COMPENSATION_STEPS as readonly unknown[]).includes(step);
export const stepRow = (step: ForwardStep): ForwardStepRow => SAGA_STEPS.find((s) => s.step === step)!;
/** The service that carries a step or a compensation. */
export function serviceOf(step: ForwardStep | CompensationStep | typeof FINAL_STEP.step): ServiceName {
  if (step === FINAL_STEP.step) return FINAL_STEP.service;
  return SAGA_STEPS.find((s) => s.step === step || s.compensation === step)!.service;
}

/** The forward steps up to and including `step`, in order. */
export const stepsThrough = (step: ForwardStep): ForwardStep[] =>
  FORWARD_STEPS.slice(0, FORWARD_STEPS.indexOf(step) + 1);
/** What undoes the steps up to and including `step` (each compensation is pushed before its step runs), newest first. */
export const compensationsThrough = (step: ForwardStep): CompensationStep[] =>
  stepsThrough(step)
    .map((s) => stepRow(s).compensation)
    .reverse();
