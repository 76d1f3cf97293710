/** The shapes of the API's answers the console reads (the API's contract allows added fields). */
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
