import {
  DEFAULT_COMPENSATION_POLICY,
  DEFAULT_STEP_POLICIES,
  type SagaSettings,
  type ServiceName,
  type StepPolicy,
} from '../domain/orders/saga-settings';
import { SERVICES } from '../domain/orders/steps';
import type { Config } from './index';

function scaled(policy: StepPolicy, scale: number): StepPolicy {
  return {
    ...policy,
    // Temporal needs whole milliseconds, and an attempt shorter than ~2 s is too tight for a busy machine.
    startToCloseTimeoutMs: Math.max(2_000, Math.round(policy.startToCloseTimeoutMs * scale)),
    initialIntervalMs: Math.max(1, Math.round(policy.initialIntervalMs * scale)),
    maximumIntervalMs: Math.max(1, Math.round(policy.maximumIntervalMs * scale)),
  };
}

/** The settings a new saga runs with; they travel in its input, so its history records them. */
export function sagaSettings(config: Config): SagaSettings {
  const scale = config.SAGA_TIME_SCALE;
  return {
    approvalThreshold: config.APPROVAL_THRESHOLD,
    approvalTimeoutMs: config.APPROVAL_TIMEOUT,
    repairWaitMs: config.REPAIR_WAIT_TIMEOUT,
    policies: Object.fromEntries(
      SERVICES.map((service) => [service, scaled(DEFAULT_STEP_POLICIES[service], scale)]),
    ) as Record<ServiceName, StepPolicy>,
    compensationPolicy: {
      ...scaled(DEFAULT_COMPENSATION_POLICY, scale),
      maximumAttempts: config.COMPENSATION_MAX_ATTEMPTS,
    },
  };
}
