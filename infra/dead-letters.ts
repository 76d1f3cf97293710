import type { Db } from 'mongodb';

/**
 * Dead letters of every source (saga steps and compensations, projection events, notifications)
 * share one collection; this is its one binding and its one document type.
 */
export interface DeadLetterInput {
  source: 'saga' | 'projection' | 'notification';
  kind: 'step' | 'compensation' | 'event';
  service: string;
  step: string;
  orderId?: string;
  correlationId?: string;
  input: unknown;
  error: string;
  /** Attempts actually made, when the failure says so (exhausted retries); null when it does not. */
  attempts: number | null;
  /** Why the retrying stopped (MAXIMUM_ATTEMPTS_REACHED, NON_RETRYABLE_FAILURE, TIMEOUT...). */
  retryState?: string;
  workflowId?: string;
  runId?: string;
}

export interface DeadLetterDocument extends DeadLetterInput {
  _id: string;
  status: 'open' | 'redrive-requested' | 'discard-requested' | 'redriven' | 'discarded';
  createdAt: Date;
}

export const deadLetterCollection = (db: Db) => db.collection<DeadLetterDocument>('dead_letters');
