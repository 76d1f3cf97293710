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
import { statusOf, type OrderViewDocument } from '../../../readside/projections/orders';

describe('order status table', () => {
  it('lists every status once, in the order a saga passes through them', () => {
    expect(ORDER_STATUSES).toEqual([
      'PENDING',
      'AWAITING_APPROVAL',
      'PAYMENT_COMPLETED',
      'ITEMS_RESERVED',
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
      ['PENDING', 'AWAITING_APPROVAL', 'PAYMENT_COMPLETED', 'ITEMS_RESERVED', 'SHIPMENT_SCHEDULED'],
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
});

describe('read model status from facts seen in any order', () => {
  type Facts = OrderViewDocument['facts'];
  const FACTS = [
    'created',
    'requiresApproval',
    'approved',
    'paid',
    'reserved',
    'shipped',
    'completed',
    'compensating',
    'cancelled',
    'incomplete',
    'compensationCompleted',
  ] as const;

  /** The precedence the orders view has always shown, spelled out as the oracle the table must reproduce. */
  function precedence(facts: Facts): OrderStatus {
    if (facts.cancelled)
      return facts.incomplete && !facts.compensationCompleted ? 'COMPENSATION_INCOMPLETE' : 'CANCELLED';
    if (facts.compensating) return 'COMPENSATING';
    if (facts.completed) return 'COMPLETED';
    if (facts.shipped) return 'SHIPMENT_SCHEDULED';
    if (facts.reserved) return 'ITEMS_RESERVED';
    if (facts.paid) return 'PAYMENT_COMPLETED';
    if (facts.requiresApproval && !facts.approved) return 'AWAITING_APPROVAL';
    return 'PENDING';
  }

  it('shows the same status as the documented precedence for every combination of facts', () => {
    const mismatches: string[] = [];
    for (let bits = 0; bits < 1 << FACTS.length; bits++) {
      const facts: Facts = Object.fromEntries(FACTS.map((f, i) => [f, (bits & (1 << i)) !== 0]));
      if (statusOf(facts) !== precedence(facts))
        mismatches.push(`${JSON.stringify(facts)}: ${statusOf(facts)} instead of ${precedence(facts)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('shows PENDING before any fact, and when facts are missing rather than false', () => {
    expect(statusOf({})).toBe('PENDING');
    expect(statusOf({ created: true, requiresApproval: true })).toBe('AWAITING_APPROVAL');
  });
});
