import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  setCurrentDetails,
  sleep,
} from '@temporalio/workflow';
import type { BreakerActivities } from '../../activities/breaker-activities';
import { SERVICE_UNAVAILABLE, isBreakerService, type BreakerService } from '../../domain/breakers';
import type { SagaStep } from '../../domain/orders/saga';
import type { ServiceName } from '../../domain/orders/saga-settings';
import { SAGA_BREAKER_WAIT } from '../patches';
import { currentDetails } from '../story';
import type { SagaPatches } from './patches-in-force';
import type { SagaState } from './state';

/** What the wait reads and shows of its saga (the saga's context has more: this keeps the file below it). */
interface Saga {
  readonly state: SagaState;
  readonly ctx: { orderId: string; correlationId: string };
  /** Its patches' answers, asked when it started (patches-in-force.ts). */
  readonly patches: Pick<SagaPatches, 'breakerWait'>;
}

/** How long one long poll of the breaker runs before the saga sleeps and asks again. */
const POLL_MS = 30_000;
/** The durable timer between two long polls. */
const BETWEEN_POLLS_MS = 5_000;

const breakerActivities = proxyActivities<BreakerActivities>({
  startToCloseTimeout: POLL_MS + 30_000,
  heartbeatTimeout: 10_000,
  // The poll has no effect to wait for: a cancel of the saga ends the wait at once.
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 30_000 },
});

/** A step that failed fast because its service's breaker is open (workers/breaker-interceptor.ts). */
export function isServiceUnavailable(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === SERVICE_UNAVAILABLE;
}

/**
 * The step's service if its outages are waited out, else undefined. While such a service is
 * unavailable (breaker open), the saga waits for its breaker (`waitForBreaker`) without spending
 * the step's attempts, then runs the step again once the breaker lets it: as its probe, or after
 * it closed (at most the configured number of steps per second). Asked before each run of a step
 * of a guarded service; sagas started before this behaviour run the step once, as they did.
 */
export function outagesWaitedOut(saga: Saga, service: ServiceName): BreakerService | undefined {
  return isBreakerService(service) && (saga.patches.breakerWait ?? patched(SAGA_BREAKER_WAIT)) ? service : undefined;
}

/**
 * Waits until the service's breaker lets a step through. The wait runs in the caller's scope: in
 * the forward steps that is the forward scope, so an accepted cancel ends it and the saga compensates.
 */
export async function waitForBreaker(saga: Saga, step: SagaStep, service: BreakerService): Promise<void> {
  const { state, ctx } = saga;
  // Workflow time: the same on every replay.
  state.view.waitingOnBreaker = { service, step, since: new Date().toISOString() };
  setCurrentDetails(
    `${currentDetails(state.view.status, state.view.currentStep, state.view.total)}  \n**Waiting** for the ${service} service: its circuit breaker is open`,
  );
  try {
    for (;;) {
      const { answer } = await breakerActivities.awaitBreaker({ service, waitMs: POLL_MS, ...ctx });
      if (answer !== 'open') return;
      await sleep(BETWEEN_POLLS_MS);
    }
  } finally {
    state.view.waitingOnBreaker = null;
    state.tell();
  }
}
