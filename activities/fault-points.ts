import { FINAL_STEP, SAGA_STEPS } from '../domain/orders/steps';
import type { FaultableService } from '../infra/faults';
import type { Activities } from './index';

export type FaultPoint = { service: FaultableService; hangAfterEffect?: boolean };

/**
 * Where injected faults strike (tests, demos, the drill): each activity that stands for a call to
 * one of the services, and whether it is a forward step whose effect a `hang-after-effect` fault
 * strands (the effect is done, the completion never reported). The saga's steps and compensations
 * come from the step table; the rest are the order service's other calls. The worker's fault
 * interceptor reads this table; the activities themselves know nothing of faults. Activities not
 * listed here (lookups, restocking, dead letters) are never faulted.
 */
export const FAULT_POINTS: Partial<Record<keyof Activities, FaultPoint>> = {
  ...Object.fromEntries(
    SAGA_STEPS.flatMap((s) => [
      [s.step, { service: s.service, hangAfterEffect: true }],
      [s.compensation, { service: s.service }],
    ]),
  ),
  [FINAL_STEP.step]: { service: FINAL_STEP.service },
  recordApproval: { service: 'order' },
  recordRejection: { service: 'order' },
  changeShippingAddress: { service: 'order' },
  markNeedsAttention: { service: 'order' },
  markCompensating: { service: 'order' },
  compensationRedriven: { service: 'order' },
};

export const faultPointOf = (activityType: string): FaultPoint | undefined =>
  (FAULT_POINTS as Record<string, FaultPoint>)[activityType];
