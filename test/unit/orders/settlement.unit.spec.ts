import { describe, expect, it } from 'vitest';
import { COMPENSATION_STEPS, FINAL_STEP, ORDER_STATUSES, serviceOf, TERMINAL_STATUSES } from '../../../domain/orders';
import {
  awaitsOutcome,
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
