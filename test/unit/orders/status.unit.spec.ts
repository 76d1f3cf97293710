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
      // Its row sits after the statuses before the step and before the step's own, so the read model
      // (the last row seen) shows the wait, and then the step's success.
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

  /** The precedence the orders view has always shown, spelled out as the oracle the table must reproduce. */
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
