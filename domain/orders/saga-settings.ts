/** How the saga retries each service's steps and its compensations; it travels in the saga's input. */

/** Retry settings of one service's activities (durations in milliseconds). */
export interface StepPolicy {
  startToCloseTimeoutMs: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

export type ServiceName = 'order' | 'payment' | 'inventory' | 'shipping';

export interface SagaSettings {
  /** Orders whose total exceeds this (cents) wait for approval before payment. */
  approvalThreshold: number;
  approvalTimeoutMs: number;
  policies: Record<ServiceName, StepPolicy>;
  /** Compensations retry with the same backoff but many more attempts before they become dead letters. */
  compensationPolicy: StepPolicy;
}
