import type { BUSINESS_FAILURES } from '../orders/saga';

/**
 * Inventory's business rule failures: typed, never worth retrying as they are. `code` is the
 * failure type the saga knows, so the Inventory service turns each into the same non-retryable
 * failure in one place; `details` travel with the failure.
 */
export abstract class InventoryDomainError extends Error {
  abstract readonly code: (typeof BUSINESS_FAILURES)[number];
  readonly details?: unknown;
}

export class UnknownSkuError extends InventoryDomainError {
  readonly code = 'UnknownSku';
  constructor(readonly sku: string) {
    super(`unknown SKU ${sku}`);
    this.name = 'UnknownSkuError';
  }
}

/** Not enough stock for the order's line. */
export class OutOfStockError extends InventoryDomainError {
  readonly code = 'OutOfStock';
  override readonly details: { sku: string; available: number; needed: number };
  constructor(sku: string, available: number, needed: number) {
    super(`out of stock: ${sku} has ${available} available, ${needed} needed`);
    this.name = 'OutOfStockError';
    this.details = { sku, available, needed };
  }
}

/** A late reservation attempt for an order whose release already ran: the saga knows it as out of stock. */
export class ReservationReleasedError extends InventoryDomainError {
  readonly code = 'OutOfStock';
  constructor(readonly orderId: string) {
    super(`reservation for order ${orderId} was already released`);
    this.name = 'ReservationReleasedError';
  }
}
