import type { BUSINESS_FAILURES } from './saga';
import type { OrderStatus } from './status';

/**
 * The order's business rule failures: typed, never worth retrying as they are. `code` is the
 * failure type the saga knows (BUSINESS_FAILURES), so the Order service turns each into the same
 * non-retryable failure in one place.
 */
export abstract class OrderDomainError extends Error {
  abstract readonly code: (typeof BUSINESS_FAILURES)[number];
}

export class UnknownSkuError extends OrderDomainError {
  readonly code = 'UnknownSku';
  constructor(readonly skus: string[]) {
    super(`unknown SKU ${skus.join(', ')}`);
    this.name = 'UnknownSkuError';
  }
}

/** A late attempt found the order already at the other end: completed when it was to be undone, or undone when it was to complete. */
export class OrderClosedError extends OrderDomainError {
  readonly code = 'OrderClosed';
  constructor(
    readonly orderId: string,
    readonly status: OrderStatus | null,
    wanted: 'created' | 'completed' | 'compensated' | 'cancelled',
  ) {
    super(`order ${orderId} cannot be ${wanted}: it is ${status ?? 'not recorded'}`);
    this.name = 'OrderClosedError';
  }
}
