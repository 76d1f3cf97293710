/** How the saga retries each service's steps and its compensations; it travels in the saga's input. */
import type { ServiceName } from './steps';

export type { ServiceName } from './steps';

/** Retry settings of one service's activities (durations in milliseconds). */
export interface StepPolicy {
  startToCloseTimeoutMs: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

export interface SagaSettings {
  /** Orders whose total exceeds this (cents) wait for approval before payment. */
  approvalThreshold: number;
  approvalTimeoutMs: number;
  /**
   * One policy per service. A saga started before a service had steps carries none for it: read
   * them through policyOf (or the settings withDefaultPolicies returns), never directly.
   */
  policies: Record<ServiceName, StepPolicy>;
  /** Compensations retry with the same backoff but many more attempts before they become dead letters. */
  compensationPolicy: StepPolicy;
  /**
   * How long a saga waits in NEEDS_ATTENTION for a repair before it compensates by itself. Absent in
   * sagas started before repairs existed: they get DEFAULT_REPAIR_WAIT_MS (domain/orders/repair.ts).
   */
  repairWaitMs?: number;
}

/**
 * Compensations use the services' backoff with COMPENSATION_MAX_ATTEMPTS (default 30, about half an
 * hour with a 60 s cap): undoing must outlast an outage; when even that fails, a dead letter.
 */
export const DEFAULT_COMPENSATION_POLICY: StepPolicy = {
  startToCloseTimeoutMs: 15_000,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  maximumAttempts: 30,
};

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
 * A service added to the step table gets its row here, or the compiler says so.
 */
export const DEFAULT_STEP_POLICIES: Readonly<Record<ServiceName, StepPolicy>> = {
  order: {
    startToCloseTimeoutMs: 10_000,
    initialIntervalMs: 1_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 30_000,
    maximumAttempts: 5,
  },
  payment: {
    startToCloseTimeoutMs: 15_000,
    initialIntervalMs: 2_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 60_000,
    maximumAttempts: 6,
  },
  inventory: {
    startToCloseTimeoutMs: 10_000,
    initialIntervalMs: 1_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 30_000,
    maximumAttempts: 5,
  },
  shipping: {
    startToCloseTimeoutMs: 20_000,
    initialIntervalMs: 2_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 60_000,
    maximumAttempts: 6,
  },
};

/** One service's policy: the saga's own, else the default (a saga started before the service existed has none). */
export const policyOf = (settings: SagaSettings, service: ServiceName): StepPolicy =>
  (settings.policies as Partial<Record<ServiceName, StepPolicy>>)[service] ?? DEFAULT_STEP_POLICIES[service];

/** The settings with a policy for every service, merged once when the saga starts. */
export const withDefaultPolicies = (settings: SagaSettings): SagaSettings => ({
  ...settings,
  policies: { ...DEFAULT_STEP_POLICIES, ...settings.policies },
});
