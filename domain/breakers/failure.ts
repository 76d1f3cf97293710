/**
 * The failure a step fails with, at once and not retried, while its service's breaker is open:
 * the saga waits for the breaker instead of spending its retry budget or compensating.
 */
export const SERVICE_UNAVAILABLE = 'ServiceUnavailable';
