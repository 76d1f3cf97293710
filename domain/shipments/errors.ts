import type { BUSINESS_FAILURES } from '../orders/saga';

/**
 * The shipment's business rule failures: typed, never worth retrying as they are. `code` is the
 * failure type the saga knows, so the Shipping service turns each into the same non-retryable
 * failure in one place. Their messages end up in the history and the read models: they name no
 * personal data.
 */
export abstract class ShipmentDomainError extends Error {
  abstract readonly code: (typeof BUSINESS_FAILURES)[number];
}

export class UndeliverableAddressError extends ShipmentDomainError {
  readonly code = 'UndeliverableAddress';
  constructor(
    readonly country: string,
    why: 'the carrier does not serve it' | 'no such postal code',
  ) {
    super(`cannot deliver to ${country}: ${why}`);
    this.name = 'UndeliverableAddressError';
  }
}

/** A late booking found the shipment already cancelled by a compensation. */
export class ShipmentCancelledError extends ShipmentDomainError {
  readonly code = 'UndeliverableAddress';
  constructor(readonly orderId: string) {
    super('shipment was cancelled before it could be scheduled');
    this.name = 'ShipmentCancelledError';
  }
}
