import { describe, expect, it } from 'vitest';
import { hotSkuVerdict, stockProblems, type OrderOutcome } from '../../../bench/lib/hot-sku-check';

const order = (i: number, status: string, failureReason: string | null = null, sku = 'HOT'): OrderOutcome => ({
  orderId: `o${i}`,
  sku,
  quantity: 1,
  status,
  failureReason,
});
const outOfStock = 'out of stock: HOT has 0 available, 1 needed';

/** 4 orders on a SKU stocked with 2: two completed, two refused for stock. */
const sound = [
  order(1, 'COMPLETED'),
  order(2, 'CANCELLED', outOfStock),
  order(3, 'COMPLETED'),
  order(4, 'CANCELLED', outOfStock),
];

describe('hot-SKU conservation check', () => {
  it('passes a run where every order completed or was refused for stock and the stock adds up', () => {
    expect(stockProblems(sound, [{ sku: 'HOT', initial: 2, available: 0, reserved: 2 }])).toEqual([]);
  });

  it('fails an order cancelled for another reason, or left with compensation incomplete', () => {
    const orders = [
      ...sound.slice(0, 3),
      order(4, 'CANCELLED', 'payment declined'),
      order(5, 'COMPENSATION_INCOMPLETE'),
    ];
    const problems = stockProblems(orders, [{ sku: 'HOT', initial: 2, available: 0, reserved: 2 }]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('o4 ended CANCELLED (payment declined)');
    expect(problems[1]).toContain('o5 ended COMPENSATION_INCOMPLETE');
  });

  it('fails stock lost or made: available + reserved differs from what was stocked', () => {
    expect(stockProblems(sound, [{ sku: 'HOT', initial: 2, available: 1, reserved: 2 }])[0]).toContain(
      'available 1 + reserved 2 = 3, stocked 2',
    );
  });

  it("fails a reservation the completed orders do not hold, or a completed order's reservation given back", () => {
    expect(stockProblems(sound, [{ sku: 'HOT', initial: 2, available: 1, reserved: 1 }])).toEqual([
      'HOT: reserved 1, completed orders hold 2',
    ]);
    const oneCompleted = [order(1, 'COMPLETED'), order(2, 'CANCELLED', outOfStock)];
    expect(stockProblems(oneCompleted, [{ sku: 'HOT', initial: 2, available: 0, reserved: 2 }])).toEqual([
      'HOT: reserved 2, completed orders hold 1',
    ]);
  });

  it('checks every SKU of a spread run, and fails an order whose SKU was not read', () => {
    const spread = [order(1, 'COMPLETED', null, 'A'), order(2, 'COMPLETED', null, 'B')];
    expect(
      stockProblems(spread, [
        { sku: 'A', initial: 1, available: 0, reserved: 1 },
        { sku: 'B', initial: 1, available: 0, reserved: 1 },
      ]),
    ).toEqual([]);
    expect(stockProblems(spread, [{ sku: 'A', initial: 1, available: 0, reserved: 1 }])).toEqual([
      'order o2: no stock level read for B',
    ]);
  });

  it("judges the hot SKU's p99 against three times the spread run's", () => {
    expect(hotSkuVerdict(3000, 1000)).toEqual({ ratio: 3, met: true });
    expect(hotSkuVerdict(3001, 1000)).toEqual({ ratio: 3.001, met: false });
    expect(hotSkuVerdict(NaN, 1000).met).toBeNull();
  });
});
