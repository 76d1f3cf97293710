/**
 * What must hold after the hot-SKU scenario, whatever the timing: every order completed or was
 * cancelled for lack of stock, and no unit of stock was lost or made (per SKU, available plus
 * reserved is what was stocked, and reserved is what the completed orders hold). Pure, so the
 * bench can fail loudly on a broken run and a unit test can try to break it.
 */
export interface OrderOutcome {
  orderId: string;
  sku: string;
  quantity: number;
  status: string;
  failureReason: string | null;
}

export interface StockAfter {
  sku: string;
  initial: number;
  available: number;
  reserved: number;
}

const OUT_OF_STOCK = /out of stock|OutOfStock/i;

/** Every broken promise, one line each; empty when the run is sound. */
export function stockProblems(orders: OrderOutcome[], stock: StockAfter[]): string[] {
  const problems: string[] = [];
  for (const o of orders) {
    if (o.status === 'COMPLETED') continue;
    if (o.status === 'CANCELLED' && OUT_OF_STOCK.test(o.failureReason ?? '')) continue;
    problems.push(
      `order ${o.orderId} ended ${o.status}${o.failureReason ? ` (${o.failureReason})` : ''}, neither COMPLETED nor CANCELLED for lack of stock`,
    );
  }
  const known = new Set(stock.map((s) => s.sku));
  for (const o of orders) if (!known.has(o.sku)) problems.push(`order ${o.orderId}: no stock level read for ${o.sku}`);
  for (const s of stock) {
    if (s.available + s.reserved !== s.initial)
      problems.push(
        `${s.sku}: available ${s.available} + reserved ${s.reserved} = ${s.available + s.reserved}, stocked ${s.initial}`,
      );
    const held = orders.filter((o) => o.sku === s.sku && o.status === 'COMPLETED').reduce((n, o) => n + o.quantity, 0);
    if (s.reserved !== held) problems.push(`${s.sku}: reserved ${s.reserved}, completed orders hold ${held}`);
    if (s.available < 0) problems.push(`${s.sku}: available ${s.available} is negative`);
  }
  return problems;
}

/** The hot-SKU goal: completed orders' p99 on one SKU at most this many times the 64-SKU run's. */
export const HOT_SKU_P99_GOAL = 3;

export function hotSkuVerdict(hotP99: number, spreadP99: number): { ratio: number; met: boolean | null } {
  const ratio = spreadP99 > 0 && Number.isFinite(hotP99) ? Math.round((hotP99 / spreadP99) * 1000) / 1000 : NaN;
  return { ratio, met: Number.isFinite(ratio) ? ratio <= HOT_SKU_P99_GOAL : null };
}
