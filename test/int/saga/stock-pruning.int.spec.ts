import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pruneSettledReservations } from '../../../activities/stock-pruning';
import { approveSignal, rejectSignal } from '../../../workflows/client';
import { fastSaga, useSagaStack } from '../../helpers/saga';

type Stock = {
  available: number;
  reserved: number;
  reservations: Record<string, number>;
  released: Record<string, number>;
};

/**
 * A SKU's stock document keeps per-order entries only while the order can still reserve or
 * release: pruning removes those of settled orders (COMPLETED, CANCELLED), never of a running one,
 * and never changes a count. Orders still running after a prune finish exactly as before.
 */
describe('stock documents stay small', () => {
  const t = useSagaStack({ ...fastSaga, APPROVAL_THRESHOLD: 2_500 });

  it('prunes settled orders from a SKU document, keeps running ones, changes no count, and the running ones still finish right', async () => {
    // Generated mixes of orders on one SKU: completed at once, rejected (cancelled), or waiting for approval.
    const outcomes = fc.sample(
      fc.array(fc.constantFrom('complete', 'reject', 'wait'), { minLength: 6, maxLength: 10 }),
      1,
    )[0]!;
    for (const needed of ['complete', 'wait'] as const) if (!outcomes.includes(needed)) outcomes.push(needed);
    const accountId = await t.h.openAccount(1_000_000);
    const sku = t.h.unique('PRUNE');
    await t.h.stock(sku, 100, 1_000);
    const orders = [];
    for (const outcome of outcomes) {
      // Above the approval threshold for the ones that wait or are rejected.
      const { orderId } = await t.h.placeOrder({
        accountId,
        items: [{ sku, quantity: outcome === 'complete' ? 1 : 3 }],
      });
      orders.push({ orderId, outcome });
    }
    for (const o of orders) {
      if (o.outcome === 'complete') continue;
      await t.h.waitForSaga(o.orderId, (s) => s.awaitingApproval, 'approval wait');
      if (o.outcome === 'reject')
        await t.stack.client.workflow
          .getHandle(`order-${o.orderId}`)
          .signal(rejectSignal, { reason: 'test', by: 'test' });
    }
    for (const o of orders.filter((x) => x.outcome !== 'wait'))
      expect((await t.h.result(o.orderId)).status).toBe(o.outcome === 'complete' ? 'COMPLETED' : 'CANCELLED');
    // Pruning learns which orders are settled from the orders read model.
    for (const o of orders.filter((x) => x.outcome !== 'wait'))
      await t.h.orderView(o.orderId, o.outcome === 'complete' ? 'COMPLETED' : 'CANCELLED');

    const stock = t.stack.mongo.db.collection<Stock>('inventory');
    const before = (await stock.findOne({ _id: sku as never }))!;
    const waiting = orders.filter((o) => o.outcome === 'wait').map((o) => o.orderId);
    const completed = orders.filter((o) => o.outcome === 'complete').map((o) => o.orderId);
    // Every completed order left its entry behind until now.
    expect(Object.keys(before.reservations).sort()).toEqual([...completed].sort());

    // Not yet past the horizon: nothing goes.
    expect((await pruneSettledReservations(t.stack.mongo.db, { settledForMs: 3_600_000 })).entries).toBe(0);

    expect((await pruneSettledReservations(t.stack.mongo.db, { settledForMs: 0 })).entries).toBeGreaterThanOrEqual(
      completed.length,
    );
    const after = (await stock.findOne({ _id: sku as never }))!;
    expect({ available: after.available, reserved: after.reserved }).toEqual({
      available: before.available,
      reserved: before.reserved,
    });
    // Waiting orders have reserved nothing yet (approval comes first): nothing of theirs is kept or needed.
    const kept = [...Object.keys(after.reservations ?? {}), ...Object.keys(after.released ?? {})];
    expect(kept.filter((id) => !waiting.includes(id))).toEqual([]);

    // The waiting ones go on after the prune: approved, they reserve, pay and complete, once.
    for (const orderId of waiting)
      await t.stack.client.workflow.getHandle(`order-${orderId}`).signal(approveSignal, { by: 'test' });
    for (const orderId of waiting) expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    for (const orderId of waiting) await t.h.orderView(orderId, 'COMPLETED');
    const finished = (await stock.findOne({ _id: sku as never }))!;
    expect(finished.available).toBe(before.available - 3 * waiting.length);
    expect(Object.keys(finished.reservations).sort()).toEqual([...waiting].sort());
    await pruneSettledReservations(t.stack.mongo.db, { settledForMs: 0 });
    const settled = (await stock.findOne({ _id: sku as never }))!;
    expect(Object.keys(settled.reservations ?? {})).toEqual([]);
    expect(Object.keys(settled.released ?? {})).toEqual([]);
    expect({ available: settled.available, reserved: settled.reserved }).toEqual({
      available: finished.available,
      reserved: finished.reserved,
    });
  }, 180_000);
});
