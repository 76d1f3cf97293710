/**
 * The order's status, in one table: every status with what it allows, and the transitions between
 * them. The saga's status query, the Order service (its decider and its conditional writes), the
 * read model, the metrics, the stock pruning and the API's cancel answers all derive from it, and a
 * unit test fails when a status is written anywhere else. Plain data and pure functions: the
 * workflow sandbox imports it.
 */

interface StatusRules {
  /** The saga has ended in it. COMPENSATION_INCOMPLETE may still become CANCELLED when its dead letters are redriven. */
  readonly terminal: boolean;
  /** The order is being, or has been, undone: it can never complete any more. */
  readonly undone: boolean;
  /**
   * A cancel request is accepted. The point of no return (the start of completeOrder) is the saga's
   * own flag, not a status: the order is still SHIPMENT_SCHEDULED while it completes.
   */
  readonly cancellable: boolean;
  /** The shipping address may still change: no shipment is booked. */
  readonly addressChangeable: boolean;
  /** Passed through in milliseconds when all is well: the saga's OrderStatus search attribute skips it. */
  readonly passing: boolean;
}

// The order of the rows is the order a saga can pass through the statuses (the API lists them so).
const STATUS_TABLE = {
  PENDING: { terminal: false, undone: false, cancellable: true, addressChangeable: true, passing: false },
  AWAITING_APPROVAL: { terminal: false, undone: false, cancellable: true, addressChangeable: true, passing: false },
  PAYMENT_COMPLETED: { terminal: false, undone: false, cancellable: true, addressChangeable: true, passing: true },
  ITEMS_RESERVED: { terminal: false, undone: false, cancellable: true, addressChangeable: true, passing: true },
  /**
   * A step failed for a reason an operator can fix (domain/orders/repair.ts): the saga waits for a
   * repair (retry, correct, compensate) or its wait limit, and the customer may still cancel. The
   * address changes only through the operator's correction. A settlement under SETTLE_POLICY=hold
   * puts an order whose saga ended without an outcome here too (domain/orders/settlement.ts).
   */
  NEEDS_ATTENTION: { terminal: false, undone: false, cancellable: true, addressChangeable: false, passing: false },
  SHIPMENT_SCHEDULED: { terminal: false, undone: false, cancellable: true, addressChangeable: false, passing: true },
  COMPLETED: { terminal: true, undone: false, cancellable: false, addressChangeable: false, passing: false },
  COMPENSATING: { terminal: false, undone: true, cancellable: false, addressChangeable: false, passing: false },
  CANCELLED: { terminal: true, undone: true, cancellable: false, addressChangeable: false, passing: false },
  /** Cancelled, but some compensation could not succeed and is an open dead letter (see openDeadLetters). */
  COMPENSATION_INCOMPLETE: {
    terminal: true,
    undone: true,
    cancellable: false,
    addressChangeable: false,
    passing: false,
  },
} as const satisfies Record<string, StatusRules>;

export type OrderStatus = keyof typeof STATUS_TABLE;

/** Every order status, in the order a saga can pass through them (the API validates filters against it). */
export const ORDER_STATUSES = Object.keys(STATUS_TABLE) as [OrderStatus, ...OrderStatus[]];

/** Each status by name, for code that means one status (`ORDER_STATUS.COMPLETED`). */
export const ORDER_STATUS = Object.fromEntries(ORDER_STATUSES.map((s) => [s, s])) as { readonly [S in OrderStatus]: S };

export const statusRules = (status: OrderStatus): StatusRules => STATUS_TABLE[status];
const where = (rule: (r: StatusRules) => boolean): readonly OrderStatus[] =>
  ORDER_STATUSES.filter((s) => rule(STATUS_TABLE[s]));

/** What a saga shows before its order is created, and the search attribute a saga starts with. */
export const INITIAL_STATUS: OrderStatus = ORDER_STATUS.PENDING;
/** The saga has ended (completed, cancelled, or cancelled with compensations parked). */
export const TERMINAL_STATUSES = where((r) => r.terminal);
/** Being, or having been, undone: such an order never completes. */
export const UNDONE_STATUSES = where((r) => r.undone);
/** Neither ended nor undone: the forward path. */
export const IN_PROGRESS_STATUSES = where((r) => !r.terminal && !r.undone);
export const CANCELLABLE_STATUSES = where((r) => r.cancellable);
export const ADDRESS_CHANGEABLE_STATUSES = where((r) => r.addressChangeable);
export const PASSING_STATUSES = where((r) => r.passing);

/** The events that move an order's status (each a SagaEventType; the decider checks that). */
export type StatusEvent =
  | 'OrderCreated'
  | 'OrderApproved'
  | 'PaymentCompleted'
  | 'ItemsReserved'
  | 'OrderNeedsAttention'
  | 'ShipmentScheduled'
  | 'OrderCompleted'
  | 'OrderCompensating'
  | 'OrderCancelled'
  | 'OrderCompensationCompleted';

/** What an event says beyond its type that chooses between two transitions. */
export interface StatusConditions {
  /** OrderCreated: the total is above the approval threshold. */
  requiresApproval?: boolean;
  /** OrderCancelled: some compensation is an open dead letter. */
  openCompensations?: boolean;
}

export interface Transition {
  readonly on: StatusEvent;
  /** Taken instead of the unconditional transition on the same event when this condition holds. */
  readonly when?: keyof StatusConditions;
  /** The statuses it leaves; `null` is an order not recorded yet. */
  readonly from: readonly (OrderStatus | null)[];
  readonly to: OrderStatus;
}

const {
  PENDING,
  AWAITING_APPROVAL,
  PAYMENT_COMPLETED,
  ITEMS_RESERVED,
  NEEDS_ATTENTION,
  SHIPMENT_SCHEDULED,
  COMPLETED,
  COMPENSATING,
  CANCELLED,
  COMPENSATION_INCOMPLETE,
} = ORDER_STATUS;

/**
 * Every transition, in the order of the order's life. The saga follows the forward path one step
 * at a time; the Order service sees only its own events, so for it the order stays PENDING while
 * it is paid, reserved and shipped, and completes or is undone from any status still in progress.
 */
export const TRANSITIONS: readonly Transition[] = [
  { on: 'OrderCreated', from: [null], to: PENDING },
  { on: 'OrderCreated', when: 'requiresApproval', from: [null], to: AWAITING_APPROVAL },
  { on: 'OrderApproved', from: [AWAITING_APPROVAL], to: PENDING },
  { on: 'PaymentCompleted', from: [PENDING], to: PAYMENT_COMPLETED },
  { on: 'ItemsReserved', from: [PAYMENT_COMPLETED], to: ITEMS_RESERVED },
  // A repairable step failed, or a settlement holds an order whose saga ended (the Order service
  // sees it from PENDING, or from NEEDS_ATTENTION when the saga was waiting already). A step that
  // succeeds after the repair moves the order on again (statusFromLog takes the latest event).
  { on: 'OrderNeedsAttention', from: IN_PROGRESS_STATUSES, to: NEEDS_ATTENTION },
  { on: 'ShipmentScheduled', from: [ITEMS_RESERVED, NEEDS_ATTENTION], to: SHIPMENT_SCHEDULED },
  // The point of no return: from here the order completes. Never from an undone order.
  { on: 'OrderCompleted', from: IN_PROGRESS_STATUSES, to: COMPLETED },
  // An order the saga never got to create is recorded already compensating (null).
  { on: 'OrderCompensating', from: [null, ...IN_PROGRESS_STATUSES], to: COMPENSATING },
  { on: 'OrderCancelled', from: [null, ...IN_PROGRESS_STATUSES, COMPENSATING], to: CANCELLED },
  {
    on: 'OrderCancelled',
    when: 'openCompensations',
    from: [null, ...IN_PROGRESS_STATUSES, COMPENSATING],
    to: COMPENSATION_INCOMPLETE,
  },
  // The last parked compensation was redriven after the saga had ended.
  { on: 'OrderCompensationCompleted', from: [COMPENSATION_INCOMPLETE], to: CANCELLED },
];

/** The status an event puts the order in (for the conditional events, as the conditions choose). */
export function statusAfter(event: StatusEvent, conditions: StatusConditions = {}): OrderStatus {
  const rows = TRANSITIONS.filter((t) => t.on === event);
  return (
    rows.find((t) => t.when !== undefined && conditions[t.when] === true) ?? rows.find((t) => t.when === undefined)!
  ).to;
}

/** The statuses an event moves the order out of (a conditional write's filter). */
export function statusesBefore(event: StatusEvent): OrderStatus[] {
  return [
    ...new Set(
      TRANSITIONS.filter((t) => t.on === event).flatMap((t) => t.from.filter((s): s is OrderStatus => s !== null)),
    ),
  ];
}

/** Whether the table allows `event` to move an order from `from` (null: not recorded yet). */
export const allows = (from: OrderStatus | null, event: StatusEvent, conditions: StatusConditions = {}): boolean =>
  TRANSITIONS.some((t) => t.on === event && t.to === statusAfter(event, conditions) && t.from.includes(from));

/** Ended, and nothing can move the order any more: no saga step or compensation touches it again. */
export const SETTLED_STATUSES = TERMINAL_STATUSES.filter((s) => !TRANSITIONS.some((t) => t.from.includes(s)));

/** The events that move an order's status, in the order of the table's rows (ties in the log's order). */
const STATUS_EVENTS: readonly StatusEvent[] = [...new Set(TRANSITIONS.map((t) => t.on))];

/**
 * The status shown by an order whose events may have been seen in any order (they come from
 * several streams), each with its position in the log: the status they show in the log's order,
 * whichever arrived first. On the forward path the latest event wins, so an order held after its
 * booking shows NEEDS_ATTENTION, and a retried or repaired step that then succeeds shows its own
 * status. An order that has ended or is being undone moves only as the table allows (a parked
 * compensation completing): a step's event that lands after its compensation began does not bring
 * it back. `seenAt` answers the event's latest position, undefined for an event not seen; events
 * of equal position (recorded before positions were kept, given as -1) count in the table's order.
 */
export function statusFromLog(
  seenAt: (event: StatusEvent) => number | undefined,
  conditions: StatusConditions,
): OrderStatus {
  const seen = STATUS_EVENTS.flatMap((event) => {
    const at = seenAt(event);
    return at === undefined ? [] : [{ event, at }];
  }).sort((a, b) => a.at - b.at);
  let status: OrderStatus | null = null;
  for (const { event } of seen) {
    const settledOrUndone = status !== null && !IN_PROGRESS_STATUSES.includes(status);
    if (settledOrUndone && !allows(status, event, conditions)) continue;
    status = statusAfter(event, conditions);
  }
  return status ?? INITIAL_STATUS;
}
