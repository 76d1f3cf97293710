import type { OrderItemInput } from '../orders/contract';
import { OutOfStockError, ReservationReleasedError, UnknownSkuError } from './errors';

/**
 * Inventory's rules for one order's reservation, as pure functions. The stock itself changes in
 * one conditional update per SKU document (activities/inventory.ts): "take the quantity if it is
 * available and this order neither holds nor released a reservation here" has to be checked and
 * applied in the same step, or two orders could take the same unit. These functions judge what
 * that step leaves behind: when the update did not apply, why not; on release, what to give back.
 */

/** What one SKU's stock document says about one order: what it holds, what was released. `null`: the catalog has no such SKU. */
export type SkuForOrder = null | { reserved?: number; released?: number };

/** Sums quantities per SKU and sorts by SKU, so every order touches documents in the same order. */
export function mergeItems(items: OrderItemInput[]): OrderItemInput[] {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of items) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * A reservation that did not apply: either an earlier attempt for the order holds it already
 * (`'held'`, go on), or the order cannot have it and the error says why (the service undoes what
 * this attempt reserved before it throws).
 */
export function refusedReservation(
  orderId: string,
  line: OrderItemInput,
  sku: null | (NonNullable<SkuForOrder> & { available: number }),
): 'held' | UnknownSkuError | ReservationReleasedError | OutOfStockError {
  if (sku?.reserved !== undefined) return 'held';
  if (!sku) return new UnknownSkuError(line.sku);
  // Released means undone: a late attempt (one that timed out but still ran) never takes stock again.
  if (sku.released !== undefined) return new ReservationReleasedError(orderId);
  return new OutOfStockError(line.sku, sku.available, line.quantity);
}

/**
 * What a release does on one SKU: give back exactly what the order holds; nothing more when it was
 * released earlier or the SKU is unknown (it holds nothing); and where the order holds nothing yet,
 * mark it released, so that a later reservation for it is refused.
 */
export type Release = { type: 'GiveBack'; quantity: number } | { type: 'MarkReleased' } | { type: 'Nothing' };

export function release(sku: SkuForOrder): Release {
  if (!sku) return { type: 'Nothing' };
  if (sku.reserved !== undefined) return { type: 'GiveBack', quantity: sku.reserved };
  if (sku.released !== undefined) return { type: 'Nothing' };
  return { type: 'MarkReleased' };
}

/** The items a release gave back (a SKU marked released with nothing reserved gave nothing), by SKU. */
export function releasedItems(releasedBySku: ReadonlyArray<{ sku: string; released: number }>): OrderItemInput[] {
  return releasedBySku
    .filter((r) => r.released > 0)
    .map((r) => ({ sku: r.sku, quantity: r.released }))
    .sort((a, b) => a.sku.localeCompare(b.sku));
}
