import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { SagaEvent, SagaStreamType } from '../domain/orders';
import type { AppendOptions, AppendResult, NewEvent } from '../eventstore/types';
import type { BUSINESS_FAILURES } from '../domain/orders';

/** What a service needs from the event store: appending its domain events. */
export interface EventLog {
  append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
}

/**
 * The one way a service records a saga event: typed by the order contract, on `<streamType>-<id>`,
 * with a deterministic event id (so a repeated activity appends nothing) and the correlation id
 * that ties it to its order.
 */
export function appendSagaEvent(
  log: EventLog,
  stream: { type: SagaStreamType; id: string },
  event: SagaEvent & { eventId: string },
  correlationId: string,
): Promise<AppendResult> {
  return log.append(`${stream.type}-${stream.id}`, [{ type: event.type, eventId: event.eventId, data: event.data }], {
    streamType: stream.type,
    metadata: { correlationId },
  });
}

export interface ServiceDeps {
  db: Db;
  events: EventLog;
}

/**
 * A broken business rule: non-retryable, so the saga compensates at once. Everything else an
 * activity throws is technical and retried by the service's retry policy.
 */
export function businessFailure(
  type: (typeof BUSINESS_FAILURES)[number],
  message: string,
  details?: unknown,
): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    details: details === undefined ? [] : [details],
  });
}

/** Arguments every saga activity receives: which order, and the id that ties its events together. */
export interface OrderContext {
  orderId: string;
  correlationId: string;
}
