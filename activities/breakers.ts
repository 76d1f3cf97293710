import { isBreakerService, type BreakerService } from '../domain/breakers';
import { SAGA_STEPS } from '../domain/orders/steps';

// The breakers' store lives in infra, below both its users: the worker's steps and the read side's Email service.
export { createBreakers, type BreakerStore, type BreakerView, type Breakers } from '../infra/breakers';

/** The breaker a step's activity goes through: the forward steps of the services that have one. */
export function breakerServiceOf(activityType: string): BreakerService | undefined {
  const row = SAGA_STEPS.find((s) => s.step === activityType);
  return row && isBreakerService(row.service) ? row.service : undefined;
}
