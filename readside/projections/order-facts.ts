import type { StoredEvent } from '../../eventstore';
import {
  asSagaEvent,
  statusFromLog,
  type OrderStatus,
  type SagaEvent,
  type SagaEventType,
  type StatusEvent,
} from '../../domain/orders';
import type { Fact, LatestField, OrderViewDocument } from './order-view';

/*
 * The orders view's fact map: which event of an order establishes which fact and sets which field
 * of its document (./order-view.ts), and the status the facts show.
 */

type Facts = OrderViewDocument['facts'];
type FactPositions = NonNullable<OrderViewDocument['factAt']>;
type EventOf<T extends SagaEventType> = Extract<SagaEvent, { type: T }>;

/** What an event records on its order's document besides its fact. */
interface Recorded {
  facts?: Facts;
  set?: Partial<Omit<OrderViewDocument, LatestField>>;
  /** Set unless an event later in the log already set them. */
  latest?: Partial<Pick<OrderViewDocument, LatestField>>;
}

/** How the orders view takes an event: the fact it establishes (the status follows from the facts seen), and what else it records. */
interface Mapping<E extends SagaEvent> {
  fact: Fact | null;
  record?: (event: E, stored: StoredEvent) => Recorded;
}

/**
 * The saga events that touch the view: their data names the order (`orderId`) or one of the
 * view's fields. Each must be in the table below, mapped or ignored: a new event type of an order
 * does not compile until someone decided what the view makes of it.
 */
type ViewField = Exclude<keyof OrderViewDocument, '_id'> | 'orderId';
type TouchingView<E extends SagaEvent> = E extends SagaEvent
  ? Extract<keyof E['data'], ViewField> extends never
    ? never
    : E['type']
  : never;
type ViewEventType = TouchingView<SagaEvent>;

const IGNORED = 'ignored';

type FactTable = { readonly [T in ViewEventType]: Mapping<EventOf<T>> | typeof IGNORED } & {
  readonly [T in StatusEvent]: { fact: Fact };
};

const fact = (name: Fact) => ({ fact: name });

/** Which event sets which field of the orders view: one row per event type of an order. */
const BY_EVENT = {
  OrderCreated: {
    fact: 'created',
    record: ({ data }, stored) => ({
      facts: { requiresApproval: data.requiresApproval === true },
      set: {
        customerId: data.customerId,
        customer: data.customer ?? null,
        accountId: data.accountId,
        items: data.items,
        total: data.total,
        createdAt: stored.metadata.timestamp,
        correlationId: stored.metadata.correlationId,
      },
      // The first address, and no failure yet: a change or a failure later in the log wins,
      // whether it is applied before or after this event.
      latest: { shippingAddress: data.shippingAddress, failureReason: null },
    }),
  },
  OrderApproved: fact('approved'),
  // The OrderCancelled that follows a rejection records the outcome and its reason.
  OrderRejected: IGNORED,
  ShippingAddressChanged: { fact: null, record: ({ data }) => ({ latest: { shippingAddress: data.address } }) },
  PaymentCompleted: fact('paid'),
  ItemsReserved: fact('reserved'),
  // Held or waiting for a repair; the repaired step's own event, or the compensation's, later in
  // the log moves the order on.
  OrderNeedsAttention: fact('needsAttention'),
  ShipmentScheduled: fact('shipped'),
  OrderCompleted: fact('completed'),
  OrderCompensating: {
    fact: 'compensating',
    record: ({ data }) => ({ latest: { failureReason: data.reason ?? null } }),
  },
  OrderCancelled: {
    fact: 'cancelled',
    record: ({ data }) =>
      Array.isArray(data.openCompensations) && data.openCompensations.length > 0
        ? {
            facts: { incomplete: true },
            latest: { failureReason: data.reason ?? null, openCompensations: data.openCompensations },
          }
        : { latest: { failureReason: data.reason ?? null } },
  },
  OrderCompensationCompleted: {
    fact: 'compensationCompleted',
    record: () => ({ latest: { openCompensations: [] } }),
  },
  // A declined payment and the undoing steps show in the order's status through OrderCompensating
  // and OrderCancelled.
  PaymentDeclined: IGNORED,
  PaymentRefunded: IGNORED,
  PaymentVoided: IGNORED,
  ItemsReleased: IGNORED,
  ShipmentCancelled: IGNORED,
  ShipmentVoided: IGNORED,
} as const satisfies FactTable;

/** The mapping of an event type, or null for one the view ignores or does not know (a newer writer's). */
function mappingOf(type: string): Mapping<SagaEvent> | null {
  if (!Object.hasOwn(BY_EVENT, type)) return null;
  const mapping = BY_EVENT[type as ViewEventType];
  return mapping === IGNORED ? null : (mapping as Mapping<SagaEvent>);
}

/** The event types the orders view reads: the mapped rows of the table. */
export const ORDER_VIEW_EVENT_TYPES: readonly SagaEventType[] = (Object.keys(BY_EVENT) as ViewEventType[]).filter(
  (type) => mappingOf(type) !== null,
);

/**
 * The status the facts show, by the status table (domain/orders/status.ts), in the log's order of
 * the events that established them (`factAt`): facts of several streams may arrive in any order.
 * A fact without a position (a document written before they were kept) counts before every
 * positioned one. Both `created` and `requiresApproval` come from OrderCreated.
 */
export function statusOf(facts: Facts, factAt: FactPositions = {}): OrderStatus {
  const at = (fact: Fact): number | undefined => (facts[fact] === true ? (factAt[fact] ?? -1) : undefined);
  const seenAt = (event: StatusEvent) =>
    event === 'OrderCreated' ? (at('created') ?? at('requiresApproval')) : at(BY_EVENT[event].fact);
  return statusFromLog(seenAt, { requiresApproval: facts.requiresApproval, openCompensations: facts.incomplete });
}

/**
 * What an event changes on its order's document: the facts it establishes and the fields it sets;
 * null for an event the view ignores or does not know.
 */
export type OrderChange = Omit<Recorded, 'facts'> & { orderId: string; facts: Facts };

export function orderChange(event: StoredEvent): OrderChange | null {
  const mapping = mappingOf(event.type);
  if (!mapping) return null;
  const e = asSagaEvent(event);
  const recorded = mapping.record?.(e, event) ?? {};
  const facts: Facts = { ...(mapping.fact && { [mapping.fact]: true }), ...recorded.facts };
  return { ...recorded, facts, orderId: (e.data as { orderId: string }).orderId };
}
