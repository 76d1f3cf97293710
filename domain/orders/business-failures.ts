/** Failure types that are business rule violations: never retried, compensated at once. */
export const BUSINESS_FAILURES = [
  'InsufficientFunds',
  'AccountNotFound',
  'OutOfStock',
  'UnknownSku',
  'UndeliverableAddress',
  'InvalidAmount',
  /** The order already reached the other terminal state (a late attempt found it completed or cancelled). */
  'OrderClosed',
] as const;
