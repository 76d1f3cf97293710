import type { BUSINESS_FAILURES } from '../orders/saga';
import type { DeclineFailure } from './events';

/**
 * The payment's business rule failures: typed, never worth retrying as they are. `code` is the
 * failure type the saga knows, so the Payment service turns each into the same non-retryable
 * failure in one place.
 */
export abstract class PaymentDomainError extends Error {
  abstract readonly code: (typeof BUSINESS_FAILURES)[number];
}

/** The account refused the charge (the type it gave, or InsufficientFunds when only the record's reason is left). */
export class PaymentDeclinedError extends PaymentDomainError {
  constructor(
    readonly orderId: string,
    readonly code: DeclineFailure,
    reason: string,
  ) {
    super(reason);
    this.name = 'PaymentDeclinedError';
  }
}

/**
 * A compensation voided the payment before the charge could start, or while it ran (its debit is
 * then given back). The saga knows it as InsufficientFunds: no money stays taken either way.
 */
export class PaymentVoidedError extends PaymentDomainError {
  readonly code = 'InsufficientFunds';
  constructor(
    readonly orderId: string,
    when: 'before it could be charged' | 'while it was being charged',
  ) {
    super(`payment was voided by a compensation ${when}`);
    this.name = 'PaymentVoidedError';
  }
}
