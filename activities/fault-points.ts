import type { FaultableService } from '../infra/faults';
import type { Activities } from './index';

/**
 * Where injected faults strike (tests, demos, the drill): each activity that stands for a call to
 * one of the services, and whether it is a forward step whose effect a `hang-after-effect` fault
 * strands (the effect is done, the completion never reported). The worker's fault interceptor
 * reads this table; the activities themselves know nothing of faults. Activities not listed here
 * (lookups, restocking, dead letters) are never faulted.
 */
export const FAULT_POINTS = {
  createOrder: { service: 'order', hangAfterEffect: true },
  recordApproval: { service: 'order' },
  recordRejection: { service: 'order' },
  changeShippingAddress: { service: 'order' },
  markCompensating: { service: 'order' },
  completeOrder: { service: 'order' },
  cancelOrder: { service: 'order' },
  compensationRedriven: { service: 'order' },
  processPayment: { service: 'payment', hangAfterEffect: true },
  refundPayment: { service: 'payment' },
  reserveItems: { service: 'inventory', hangAfterEffect: true },
  releaseItems: { service: 'inventory' },
  scheduleShipment: { service: 'shipping', hangAfterEffect: true },
  cancelShipment: { service: 'shipping' },
} satisfies Partial<Record<keyof Activities, { service: FaultableService; hangAfterEffect?: boolean }>>;

export type FaultPoint = { service: FaultableService; hangAfterEffect?: boolean };

export const faultPointOf = (activityType: string): FaultPoint | undefined => (FAULT_POINTS as Record<string, FaultPoint>)[activityType];
