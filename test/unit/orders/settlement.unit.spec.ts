import { describe, expect, it } from 'vitest';
import {
  allows,
  COMPENSATION_STEPS,
  FINAL_STEP,
  FORWARD_STEPS,
  ORDER_STATUSES,
  repairRefusal,
  serviceOf,
  stepRow,
  TERMINAL_STATUSES,
} from '../../../domain/orders';
import {
  awaitsOutcome,
  heldAt,
  holdable,
  remainingSteps,
  ORDER_COMPENSATION,
  SERVICE_COMPENSATIONS,
  settlementReason,
  settleWorkflowId,
} from '../../../domain/orders/settlement';
import { loadConfig } from '../../../config';

describe('settling an order whose saga ended without an outcome', () => {
  it('waits for an outcome in every status but the terminal ones, and when not recorded', () => {
    for (const status of ORDER_STATUSES)
      expect(awaitsOutcome(status), status).toBe(!TERMINAL_STATUSES.includes(status));
    expect(awaitsOutcome(null)).toBe(true);
  });

  it("undoes every service's step newest first, then the order's own, as the saga's compensations do", () => {
    expect([...SERVICE_COMPENSATIONS, ORDER_COMPENSATION]).toEqual(COMPENSATION_STEPS);
    expect(serviceOf(ORDER_COMPENSATION)).toBe(FINAL_STEP.service);
    for (const step of SERVICE_COMPENSATIONS) expect(serviceOf(step)).not.toBe(FINAL_STEP.service);
  });

  it('runs under an id of its own and records why', () => {
    expect(settleWorkflowId('o-1')).toBe('settle-o-1');
    expect(settlementReason('Terminated')).toBe('saga ended without outcome: Terminated');
  });

  it('compensates by default every minute, and reads the policy and the interval from the environment', () => {
    expect(loadConfig({})).toMatchObject({ SETTLE_POLICY: 'compensate', SETTLE_SWEEP_INTERVAL: 60_000 });
    expect(loadConfig({ SETTLE_POLICY: 'report', SETTLE_SWEEP_INTERVAL: '5s' })).toMatchObject({
      SETTLE_POLICY: 'report',
      SETTLE_SWEEP_INTERVAL: 5_000,
    });
    expect(loadConfig({ SETTLE_SWEEP_INTERVAL: '0' }).SETTLE_SWEEP_INTERVAL).toBe(0);
    expect(() => loadConfig({ SETTLE_POLICY: 'ignore' })).toThrow(/SETTLE_POLICY/);
    expect(() => loadConfig({ SETTLE_SWEEP_INTERVAL: '10ms' })).toThrow(/SETTLE_SWEEP_INTERVAL/);
  });
});

describe('holding an order whose saga ended without an outcome (SETTLE_POLICY=hold)', () => {
  it('holds an order the status table lets into NEEDS_ATTENTION, but not one unrecorded, unapproved or undone', () => {
    for (const status of ['PENDING', 'NEEDS_ATTENTION'] as const) {
      expect(holdable(status), status).toBe(true);
      expect(allows(status, 'OrderNeedsAttention'), status).toBe(true);
    }
    for (const status of [null, 'AWAITING_APPROVAL', 'COMPENSATING', ...TERMINAL_STATUSES] as const)
      expect(holdable(status), String(status)).toBe(false);
  });

  it('finishes forward from the first step its services did not record (or recorded undone)', () => {
    // The steps after createOrder, and the events their services record once each is done.
    const after = FORWARD_STEPS.slice(1);
    const reached = (n: number) => after.slice(0, n).map((step) => stepRow(step).reaches!);
    for (let n = 0; n <= after.length; n++) expect(remainingSteps(reached(n)), `${n} done`).toEqual(after.slice(n));
    expect(remainingSteps([...reached(2), stepRow(after[0]!).undoneEvent])).toEqual(after);
    expect(heldAt(after.slice(2))).toBe(after[2]);
    expect(heldAt([])).toBe(FINAL_STEP.step);
  });

  it('lets an operator correct the address only while the booking is still to run', () => {
    const correct = {
      action: 'correct' as const,
      shippingAddress: { line1: 'a', city: 'b', postalCode: 'c', country: 'US' },
    };
    const booking = FORWARD_STEPS.slice(-1);
    expect(repairRefusal('o', 'NEEDS_ATTENTION', { step: heldAt(booking) }, correct)).toBeNull();
    expect(repairRefusal('o', 'NEEDS_ATTENTION', { step: heldAt([]) }, correct)).toMatch(/cannot be corrected/);
    expect(repairRefusal('o', 'NEEDS_ATTENTION', { step: heldAt([]) }, { action: 'retry' })).toBeNull();
  });

  it('reads the hold policy from the environment', () => {
    expect(loadConfig({ SETTLE_POLICY: 'hold' }).SETTLE_POLICY).toBe('hold');
  });
});
