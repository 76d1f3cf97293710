/**
 * The saga's contract with everything around it: its input, its live status and its result, the
 * facts an order carries into compensation, and the business failures it knows. Types and
 * constants only (the workflow sandbox imports it).
 */
import type { OrderItemInput, OrderStatus, ShippingAddress } from './contract';
import type { SagaSettings } from './saga-settings';
import type { CompensationStep, SagaStep } from './steps';

export interface OrderSagaInput {
  orderId: string;
  /** Sealed with the customer's own key (`pd1.…`): histories and events never hold the id itself. */
  customerId: string;
  /** The customer's pseudonym (blind index) for filters and ownership; absent in sagas started before it existed. */
  customer?: string;
  accountId: string;
  items: OrderItemInput[];
  shippingAddress: ShippingAddress;
  /** Follows the order from the HTTP request through activities and events. */
  correlationId: string;
  /** Resolved from the configuration when the saga starts, and kept in its history. */
  settings: SagaSettings;
  /**
   * Catalog prices in cents by SKU, as the API read them to place the order (never from the
   * client): createOrder prices the order with them instead of reading the catalog again. Absent in
   * sagas started before it existed or by other means; createOrder then reads the catalog.
   */
  prices?: Record<string, number>;
}

// The step names derive from the step table (steps.ts).
export { COMPENSATION_STEPS, isCompensationStep, type CompensationStep, type SagaStep } from './steps';

/** The answer of the `status` query: the live state of one saga. */
export interface SagaStatus {
  orderId: string;
  status: OrderStatus;
  currentStep: SagaStep | CompensationStep | null;
  stepsDone: SagaStep[];
  compensationsDone: CompensationStep[];
  /** Compensations that could not succeed and were recorded as dead letters. */
  compensationsFailed: CompensationStep[];
  awaitingApproval: boolean;
  failureReason: string | null;
  total: number | null;
  shippingAddress: ShippingAddress;
  /** A cancel was accepted (by the cancel Update or a workflow cancel) and is being carried out. */
  cancelRequested?: boolean;
  /** completeOrder has started: from here on the order completes and cancels are refused. */
  pastPointOfNoReturn?: boolean;
  /** Workflow cancels that arrived past the point of no return (recorded, then ignored). */
  cancelsIgnored?: number;
  /** Ids of the dead letters this saga parked (GET /dead-letters/:id). */
  openDeadLetters?: string[];
  /** The step waits for its service's circuit breaker to close (since: when the wait began). */
  waitingOnBreaker?: { service: string; step: string; since: string } | null;
  /**
   * The step failed for a reason an operator can fix (status NEEDS_ATTENTION): why, since when,
   * and when the saga compensates by itself unless repaired (domain/orders/repair.ts).
   */
  needsAttention?: { step: string; reason: string; since: string; until: string } | null;
}

export interface OrderSagaResult {
  orderId: string;
  status: 'COMPLETED' | 'CANCELLED' | 'COMPENSATION_INCOMPLETE';
  failureReason: string | null;
  /** Dead letters left for an operator (only when status is COMPENSATION_INCOMPLETE). */
  openDeadLetters?: string[];
}

/** What the order service needs to record an order that the saga never got to create. */
export interface OrderFacts {
  /** Sealed, as in OrderSagaInput. */
  customerId: string;
  customer?: string;
  accountId: string;
  items: OrderItemInput[];
  shippingAddress: ShippingAddress;
}

/**
 * What placing an order answers: the saga's `placed` Update, sent with its start
 * (Update-with-Start), returns it as soon as the saga has priced the order in its first step,
 * while the rest of the saga goes on. A saga that stopped before pricing (cancelled at once, or
 * its first step failed) answers with `total: null`, unpriced lines and its status.
 */
export interface OrderPlaced {
  orderId: string;
  workflowId: string;
  status: OrderStatus;
  total: number | null;
  items: Array<OrderItemInput & { unitPrice: number | null }>;
  requiresApproval: boolean;
}

/** The placing Update's id for an order: a retried request names the same Update, and Temporal answers it once. */
export const placedUpdateId = (orderId: string) => `placed-${orderId}`;

/** The answer to an accepted cancel request. */
export interface CancelAccepted {
  orderId: string;
  accepted: 'cancel';
  status: OrderStatus;
}

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;

export { BUSINESS_FAILURES } from './business-failures';
