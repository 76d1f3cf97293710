import { patched } from '@temporalio/workflow';
import { SAGA_BREAKER_WAIT, SAGA_LOCAL_CREATE_ORDER, SAGA_LOCAL_ORDER_STEPS, SAGA_PATCHES_AT_START } from '../patches';
import { LOCAL_STEPS, LOCAL_STEPS_OF_ORDER_STEPS_PATCH, type LocalStep } from './local';

/** What the saga's patches answer for one saga, decided in its first activation. */
export interface SagaPatches {
  /** The steps run as local activities (SAGA_LOCAL_CREATE_ORDER, or SAGA_LOCAL_ORDER_STEPS before it). */
  readonly localSteps: readonly LocalStep[];
  /** Whether the steps wait out their services' outages (SAGA_BREAKER_WAIT); undefined: asked at the first breaker step. */
  readonly breakerWait: boolean | undefined;
  /** A repairable failure waits for a repair (SAGA_REPAIR) without asking; undefined: asked at such a failure. */
  readonly repair: true | undefined;
}

/** Sagas that record SAGA_BASELINE_2026_12: every patch the saga knows is in force, and none is asked. */
export const BASELINE_2026_12: SagaPatches = { localSteps: LOCAL_STEPS, breakerWait: true, repair: true };

/**
 * Sagas started before SAGA_BASELINE_2026_12 (replays of their histories): each patch asked where
 * and in the order they asked it, in their first activation, after the body's own patches
 * (workflows/order-saga.ts). SAGA_REPAIR, and SAGA_BREAKER_WAIT for sagas without
 * SAGA_PATCHES_AT_START, are asked later, at the step (repair.ts, breaker-wait.ts).
 */
export function patchesAskedOneByOne(): SagaPatches {
  return { localSteps: localStepsOfThisSaga(), breakerWait: breakerWaitOfThisSaga(), repair: undefined };
}

/**
 * createOrder for sagas that record SAGA_LOCAL_CREATE_ORDER (whose histories then hold its marker
 * alone: the second check is never made); createOrder and completeOrder for those that recorded
 * SAGA_LOCAL_ORDER_STEPS; none for sagas started before either.
 */
function localStepsOfThisSaga(): readonly LocalStep[] {
  if (patched(SAGA_LOCAL_CREATE_ORDER)) return LOCAL_STEPS;
  if (patched(SAGA_LOCAL_ORDER_STEPS)) return LOCAL_STEPS_OF_ORDER_STEPS_PATCH;
  return [];
}

/**
 * Asked before createOrder runs as a local activity, never on its result (SAGA_PATCHES_AT_START):
 * true for sagas that record SAGA_PATCHES_AT_START. `undefined` for sagas started before it, which
 * ask SAGA_BREAKER_WAIT at their first breaker step, where their histories hold its marker.
 */
function breakerWaitOfThisSaga(): boolean | undefined {
  return patched(SAGA_PATCHES_AT_START) ? patched(SAGA_BREAKER_WAIT) : undefined;
}
