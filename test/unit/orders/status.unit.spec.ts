import { describe, expect, it } from 'vitest';
import {
  ADDRESS_CHANGEABLE_STATUSES,
  allows,
  CANCELLABLE_STATUSES,
  IN_PROGRESS_STATUSES,
  INITIAL_STATUS,
  ORDER_STATUSES,
  PASSING_STATUSES,
  SETTLED_STATUSES,
  statusAfter,
  statusesBefore,
  TERMINAL_STATUSES,
  TRANSITIONS,
  UNDONE_STATUSES,
  type OrderStatus,
  type StatusEvent,
} from '../../../domain/orders';
import { REPAIRABLE_STEPS } from '../../../domain/orders/repair';
import { FORWARD_STEPS, stepRow } from '../../../domain/orders/steps';
import { statusOf, type OrderViewDocument } from '../../../readside/projections/orders';

describe('order status table', () => {
  it('lists every status once, in the order a saga passes through them', () => {
    expect(ORDER_STATUSES).toEqual([
      'PENDING',
      'AWAITING_APPROVAL',
      'PAYMENT_COMPLETED',
      'ITEMS_RESERVED',
      'NEEDS_ATTENTION',
      'SHIPMENT_SCHEDULED',
      'COMPLETED',
      'COMPENSATING',
      'CANCELLED',
      'COMPENSATION_INCOMPLETE',
    ]);
  });

  it.each<[string, readonly OrderStatus[], OrderStatus[]]>([
    [
      'the saga ends completed, cancelled, or cancelled with compensations parked',
      TERMINAL_STATUSES,
      ['COMPLETED', 'CANCELLED', 'COMPENSATION_INCOMPLETE'],
    ],
    [
      'an undone order is compensating or cancelled',
      UNDONE_STATUSES,
      ['COMPENSATING', 'CANCELLED', 'COMPENSATION_INCOMPLETE'],
    ],
    [
      'stock entries are pruned only for orders nothing can move any more',
      SETTLED_STATUSES,
      ['COMPLETED', 'CANCELLED'],
    ],
    [
      'a cancel is accepted on the forward path only',
      CANCELLABLE_STATUSES,
      ['PENDING', 'AWAITING_APPROVAL', 'PAYMENT_COMPLETED', 'ITEMS_RESERVED', 'NEEDS_ATTENTION', 'SHIPMENT_SCHEDULED'],
    ],
    [
      'the address changes only before the shipment is booked',
      ADDRESS_CHANGEABLE_STATUSES,
      ['PENDING', 'AWAITING_APPROVAL', 'PAYMENT_COMPLETED', 'ITEMS_RESERVED'],
    ],
    [
      'the search attribute skips the statuses passed through in milliseconds',
      PASSING_STATUSES,
      ['PAYMENT_COMPLETED', 'ITEMS_RESERVED', 'SHIPMENT_SCHEDULED'],
    ],
  ])('%s', (_rule, derived, statuses) => {
    expect(derived).toEqual(statuses);
  });

  it('starts a saga PENDING', () => {
    expect(INITIAL_STATUS).toBe('PENDING');
  });

  it.each<[StatusEvent, { requiresApproval?: boolean; openCompensations?: boolean }, OrderStatus]>([
    ['OrderCreated', {}, 'PENDING'],
    ['OrderCreated', { requiresApproval: true }, 'AWAITING_APPROVAL'],
    ['OrderApproved', {}, 'PENDING'],
    ['PaymentCompleted', {}, 'PAYMENT_COMPLETED'],
    ['ItemsReserved', {}, 'ITEMS_RESERVED'],
    ['OrderNeedsAttention', {}, 'NEEDS_ATTENTION'],
    ['ShipmentScheduled', {}, 'SHIPMENT_SCHEDULED'],
    ['OrderCompleted', {}, 'COMPLETED'],
    ['OrderCompensating', {}, 'COMPENSATING'],
    ['OrderCancelled', {}, 'CANCELLED'],
    ['OrderCancelled', { openCompensations: true }, 'COMPENSATION_INCOMPLETE'],
    ['OrderCompensationCompleted', {}, 'CANCELLED'],
  ])('%s %j leads to %s', (event, conditions, status) => {
    expect(statusAfter(event, conditions)).toBe(status);
  });

  it('never completes an undone order, and never undoes a completed one', () => {
    for (const status of UNDONE_STATUSES) expect(allows(status, 'OrderCompleted')).toBe(false);
    for (const event of ['OrderCompensating', 'OrderCancelled', 'OrderCompensationCompleted'] as const)
      expect(allows('COMPLETED', event)).toBe(false);
  });

  it('leaves no settled status, and leaves a terminal status only to settle its parked compensations', () => {
    for (const status of SETTLED_STATUSES) expect(TRANSITIONS.filter((t) => t.from.includes(status))).toEqual([]);
    const outOfTerminal = TRANSITIONS.filter((t) => t.from.some((s) => s !== null && TERMINAL_STATUSES.includes(s)));
    expect(outOfTerminal.map((t) => [t.from, t.on, t.to])).toEqual([
      [['COMPENSATION_INCOMPLETE'], 'OrderCompensationCompleted', 'CANCELLED'],
    ]);
  });

  it('follows the forward path one step at a time, and undoes from any status in progress', () => {
    const forward: StatusEvent[] = ['PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled', 'OrderCompleted'];
    let status = statusAfter('OrderCreated', { requiresApproval: true });
    for (const event of ['OrderApproved', ...forward] as StatusEvent[]) {
      expect(allows(status, event)).toBe(true);
      status = statusAfter(event);
    }
    expect(status).toBe('COMPLETED');
    for (const from of IN_PROGRESS_STATUSES) {
      expect(allows(from, 'OrderCompensating')).toBe(true);
      expect(allows(statusAfter('OrderCompensating'), 'OrderCancelled', { openCompensations: true })).toBe(true);
    }
    expect(statusesBefore('OrderCompensationCompleted')).toEqual(['COMPENSATION_INCOMPLETE']);
  });

  it('a repairable step waits in NEEDS_ATTENTION, which its success, a compensation or a cancel leaves', () => {
    for (const step of REPAIRABLE_STEPS) {
      const row = stepRow(step);
      const before = FORWARD_STEPS.slice(0, FORWARD_STEPS.indexOf(step))
        .map((s): StatusEvent | null => stepRow(s).reaches)
        .filter((e): e is StatusEvent => e !== null)
        .at(-1);
      const waiting = statusAfter('OrderNeedsAttention');
      expect(allows(before ? statusAfter(before) : 'PENDING', 'OrderNeedsAttention')).toBe(true);
      // The repaired step's success moves the order on from the wait.
      if (row.reaches) expect(allows(waiting, row.reaches)).toBe(true);
      // Its row sits after the statuses before the step and before the step's own, so a read-model
      // document written before positions were kept (its facts taken in the table's order) shows the
      // wait, and then the step's success.
      const at = (e: StatusEvent) => TRANSITIONS.findIndex((t) => t.on === e);
      if (before) expect(at('OrderNeedsAttention')).toBeGreaterThan(at(before));
      if (row.reaches) expect(at('OrderNeedsAttention')).toBeLessThan(at(row.reaches));
    }
    const waiting = statusAfter('OrderNeedsAttention');
    expect(CANCELLABLE_STATUSES).toContain(waiting);
    expect(ADDRESS_CHANGEABLE_STATUSES).not.toContain(waiting);
    expect(allows(waiting, 'OrderCompensating')).toBe(true);
    expect(allows(waiting, 'OrderCancelled')).toBe(true);
    expect(allows(waiting, 'OrderCompleted')).toBe(true);
  });
});

describe('read model status from facts seen in any order', () => {
  type Facts = OrderViewDocument['facts'];
  const FACTS = [
    'created',
    'requiresApproval',
    'approved',
    'paid',
    'reserved',
    'needsAttention',
    'shipped',
    'completed',
    'compensating',
    'cancelled',
    'incomplete',
    'compensationCompleted',
  ] as const;

  /**
   * The precedence the orders view showed before it kept where each fact stands in the log, spelled
   * out as the oracle a document written then must still reproduce.
   */
  function precedence(facts: Facts): OrderStatus {
    if (facts.cancelled)
      return facts.incomplete && !facts.compensationCompleted ? 'COMPENSATION_INCOMPLETE' : 'CANCELLED';
    if (facts.compensating) return 'COMPENSATING';
    if (facts.completed) return 'COMPLETED';
    if (facts.shipped) return 'SHIPMENT_SCHEDULED';
    if (facts.needsAttention) return 'NEEDS_ATTENTION';
    if (facts.reserved) return 'ITEMS_RESERVED';
    if (facts.paid) return 'PAYMENT_COMPLETED';
    if (facts.requiresApproval && !facts.approved) return 'AWAITING_APPROVAL';
    return 'PENDING';
  }

  /**
   * Combinations no log holds: a completed order is never undone, and only an OrderCancelled with
   * open compensations records them incomplete and may be followed by their completion.
   */
  const impossible = (facts: Facts): boolean =>
    (facts.completed === true && (facts.compensating === true || facts.cancelled === true)) ||
    (facts.incomplete === true && facts.cancelled !== true) ||
    (facts.compensationCompleted === true && facts.incomplete !== true);

  it('shows a document without positions the documented precedence, for every combination of facts a log holds', () => {
    const mismatches: string[] = [];
    for (let bits = 0; bits < 1 << FACTS.length; bits++) {
      const facts: Facts = Object.fromEntries(FACTS.map((f, i) => [f, (bits & (1 << i)) !== 0]));
      if (impossible(facts)) continue;
      if (statusOf(facts) !== precedence(facts))
        mismatches.push(`${JSON.stringify(facts)}: ${statusOf(facts)} instead of ${precedence(facts)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('shows PENDING before any fact, and when facts are missing rather than false', () => {
    expect(statusOf({})).toBe('PENDING');
    expect(statusOf({ created: true, requiresApproval: true })).toBe('AWAITING_APPROVAL');
  });

  type FactName = (typeof FACTS)[number];
  /** The facts of events in log order (positions 1, 2, …), as the view records them. */
  const logged = (...names: FactName[]): [Facts, NonNullable<OrderViewDocument['factAt']>] => [
    Object.fromEntries(names.map((n) => [n, true])),
    Object.fromEntries(names.map((n, i) => [n, i + 1])),
  ];

  it.each<[string, FactName[], OrderStatus]>([
    ['held after the booking', ['created', 'paid', 'reserved', 'shipped', 'needsAttention'], 'NEEDS_ATTENTION'],
    [
      'held after the booking, then retried to completion',
      ['created', 'paid', 'reserved', 'shipped', 'needsAttention', 'completed'],
      'COMPLETED',
    ],
    [
      'held after the booking, then compensated',
      ['created', 'paid', 'reserved', 'shipped', 'needsAttention', 'compensating', 'cancelled'],
      'CANCELLED',
    ],
    ['held before the payment, then retried: paid', ['created', 'needsAttention', 'paid'], 'PAYMENT_COMPLETED'],
    [
      'waiting for a corrected address, then booked',
      ['created', 'paid', 'reserved', 'needsAttention', 'shipped'],
      'SHIPMENT_SCHEDULED',
    ],
    ['awaiting approval', ['created', 'requiresApproval'], 'AWAITING_APPROVAL'],
    ['approved', ['created', 'requiresApproval', 'approved'], 'PENDING'],
    ['a step landing after its compensation began', ['created', 'paid', 'compensating', 'reserved'], 'COMPENSATING'],
    [
      'a step landing after the order was cancelled with open compensations',
      ['created', 'paid', 'compensating', 'cancelled', 'incomplete', 'reserved'],
      'COMPENSATION_INCOMPLETE',
    ],
    [
      'open compensations completed later',
      ['created', 'paid', 'compensating', 'cancelled', 'incomplete', 'compensationCompleted'],
      'CANCELLED',
    ],
  ])('follows the log: %s', (_story, names, status) => {
    const [facts, factAt] = logged(...names);
    expect(statusOf(facts, factAt)).toBe(status);
  });

  it('takes a fact without a position (a document written before they were kept) as earlier than every positioned one', () => {
    const facts: Facts = { created: true, paid: true, reserved: true, shipped: true, needsAttention: true };
    expect(statusOf(facts, { needsAttention: 9 })).toBe('NEEDS_ATTENTION');
    expect(statusOf(facts, { shipped: 9 })).toBe('SHIPMENT_SCHEDULED');
  });
});
