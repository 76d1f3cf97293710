import type { SagaSettings, ServiceName, StepPolicy } from '../domain/orders/saga-settings';
import type { Config } from './index';

/**
 * Retry policy per service: how long one attempt may take and how Temporal backs off between
 * attempts of a technical failure (service down, timeout). Business failures are never retried.
 *
 * | service   | timeout | first retry | backoff | max interval | attempts | why |
 * |-----------|---------|-------------|---------|--------------|----------|-----|
 * | order     | 10 s    | 1 s         | x2      | 30 s         | 5        | local database writes only |
 * | payment   | 15 s    | 2 s         | x2      | 60 s         | 6        | money: give a flaky processor ~2 min before giving up |
 * | inventory | 10 s    | 1 s         | x2      | 30 s         | 5        | stock checks are quick; a long outage should release the order |
 * | shipping  | 20 s    | 2 s         | x2      | 60 s         | 6        | carrier APIs are slow and often briefly unavailable |
 *
 * Compensations use the same backoff with COMPENSATION_MAX_ATTEMPTS (default 30, about half an
 * hour with a 60 s cap): undoing must outlast an outage; when even that fails, a dead letter.
 */
const BASE: Record<ServiceName, StepPolicy> = {
  order: { startToCloseTimeoutMs: 10_000, initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 5 },
  payment: { startToCloseTimeoutMs: 15_000, initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 6 },
  inventory: { startToCloseTimeoutMs: 10_000, initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 30_000, maximumAttempts: 5 },
  shipping: { startToCloseTimeoutMs: 20_000, initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 6 },
};

const COMPENSATION: StepPolicy = { startToCloseTimeoutMs: 15_000, initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 60_000, maximumAttempts: 30 };

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
    policies: {
      order: scaled(BASE.order, scale),
      payment: scaled(BASE.payment, scale),
      inventory: scaled(BASE.inventory, scale),
      shipping: scaled(BASE.shipping, scale),
    },
    compensationPolicy: { ...scaled(COMPENSATION, scale), maximumAttempts: config.COMPENSATION_MAX_ATTEMPTS },
  };
}
