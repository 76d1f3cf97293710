/** The shapes of the API's answers the console reads (the API's contract allows added fields). */
import type { BreakerService, BreakerStatus } from '../../domain/breakers/breaker';
import type { OrderStatus } from '../../domain/orders/status';

export interface OrderView {
  orderId: string;
  customerId: string;
  accountId: string;
  status: OrderStatus;
  items: Array<{ sku: string; quantity: number; unitPrice?: number | null }>;
  total: number | null;
  shippingAddress: { line1: string; city: string; postalCode: string; country: string } | null;
  failureReason: string | null;
  openCompensations?: string[];
  createdAt?: string;
  updatedAt?: string;
}

export interface SagaState {
  orderId: string;
  status: OrderStatus;
  awaitingApproval: boolean;
  stepsDone: string[];
  compensationsDone: string[];
  compensationsFailed: string[];
  failureReason: string | null;
  total: number | null;
  /** Set while the saga waits in NEEDS_ATTENTION for an operator's repair (domain/orders/repair.ts). */
  needsAttention?: Waiting | null;
  /** Set while a step waits for its service's breaker to close. */
  waitingOnBreaker?: { service: string; step: string; since: string } | null;
  [key: string]: unknown;
}

export interface RecordedEvent {
  streamId: string;
  streamType?: string;
  version?: number;
  position?: number;
  type: string;
  data: Record<string, unknown>;
  metadata?: { eventId?: string; timestamp?: string; [key: string]: unknown };
}

export interface DeadLetter {
  id: string;
  source: string;
  status: string;
  service?: string;
  step?: string;
  orderId?: string;
  error?: string;
  createdAt?: string;
  [key: string]: unknown;
}

export interface ProjectionRow {
  name: string;
  state: 'running' | 'catching-up' | 'stalled' | 'rebuilding';
  lagEvents: number;
  lagMs: number;
  lastError?: string | null;
  /** The generation serving reads, and the one being built by a rebuild. */
  generation?: number;
  rebuilding?: { generation: number } | null;
  /** Events set aside after failing, each with an open dead letter. */
  parked?: number;
  [key: string]: unknown;
}

/** One circuit breaker as GET /breakers answers it. */
export interface BreakerRow {
  service: BreakerService;
  status: BreakerStatus;
  since: string | null;
  by: 'failures' | 'probe' | 'operator' | null;
  reason: string | null;
  /** When an open breaker probes next; null: opened by hand (closed by hand only), or not open. */
  probeAt: string | null;
  /** Its stream's version: how many transitions it went through. */
  transitions: number;
  [key: string]: unknown;
}

/** An order waiting in NEEDS_ATTENTION for a repair: the step it waits at, why, and until when. */
export interface Waiting {
  step: string;
  reason: string;
  since: string;
  until: string;
}

/** An order whose saga ended without an outcome, as GET /orders/unsettled answers it. */
export interface Settlement {
  orderId: string;
  close: string;
  /** held: its settlement waits in NEEDS_ATTENTION for an operator's repair (SETTLE_POLICY=hold). */
  state: 'unsettled' | 'settling' | 'held' | 'settled';
  policy: 'compensate' | 'report' | 'hold';
  foundStatus: OrderStatus | null;
  detectedAt: string;
  settleWorkflowId?: string;
  settledAt?: string;
  outcome?: 'settled' | 'had-outcome' | 'reported' | 'nothing-recorded' | 'completed';
  status?: OrderStatus | null;
  compensationsDone?: string[];
  compensationsFailed?: string[];
  openDeadLetters?: string[];
  needsAttention?: Waiting;
  repair?: { action: 'retry' | 'correct' | 'compensate'; by?: string };
  holdEnded?: 'timed-out' | 'cancelled';
  [key: string]: unknown;
}
