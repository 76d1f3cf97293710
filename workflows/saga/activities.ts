import { proxyActivities, proxyLocalActivities, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { DeadLetterActivities } from '../../activities/dead-letters';
import type { OrderActivities } from '../../activities/order';
import { FINAL_STEP, SERVICES, type CompensationStep } from '../../domain/orders/steps';
import { activityOptions } from '../policies';
import { LOCAL_SERVICE, localActivityOptions, type LocalStep } from './local';
import { policyOf, type SagaSettings, type ServiceName, type StepPolicy } from '../../domain/orders/saga-settings';

/** Every activity a saga step, its compensation or its approval may call: all the services' (activities/index.ts). */
export type StepActivities = Activities;
type Compensations = Pick<StepActivities, CompensationStep | 'markCompensating'>;

/** Retried until it succeeds: Temporal's `maximumAttempts: 0`. */
const untilDone = (policy: StepPolicy): StepPolicy => ({ ...policy, maximumAttempts: 0 });

/**
 * The saga's activities, built once when it starts, one proxy per retry budget:
 * - `forward[service]`: that service's policy, then the saga compensates;
 * - `undo`: the compensation policy, then a dead letter;
 * - `final`: completeOrder, past the point of no return, so retried until the order service answers;
 * - `bookkeeping`: dead letters, the last resort, so retried until the store answers;
 * - `local`: the steps in `localSteps` as local activities, with their service's policy
 *   (workflows/saga/local.ts): createOrder for sagas that record SAGA_LOCAL_CREATE_ORDER.
 * A call that the Web UI should describe passes its summary per call (`executeWithOptions`), on
 * the same proxy.
 */
export function sagaActivities(settings: SagaSettings, { localSteps = [] as readonly LocalStep[] } = {}) {
  const proxy = <T extends object>(policy: StepPolicy) => proxyActivities<T>(activityOptions(policy));
  return {
    forward: Object.fromEntries(
      SERVICES.map((service) => [service, proxy<StepActivities>(policyOf(settings, service))]),
    ) as Record<ServiceName, ActivityInterfaceFor<StepActivities>>,
    undo: proxy<Compensations>(settings.compensationPolicy),
    final: proxy<Pick<OrderActivities, 'completeOrder'>>(untilDone(policyOf(settings, FINAL_STEP.service))),
    bookkeeping: proxy<DeadLetterActivities>(untilDone(settings.compensationPolicy)),
    local: proxyLocalActivities<Pick<OrderActivities, LocalStep>>(
      localActivityOptions(policyOf(settings, LOCAL_SERVICE)),
    ),
    /** The steps this saga runs locally (none for sagas started before SAGA_LOCAL_CREATE_ORDER). */
    localSteps,
  };
}

export type SagaActivities = ReturnType<typeof sagaActivities>;
