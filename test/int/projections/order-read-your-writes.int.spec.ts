import { describe, expect, it } from 'vitest';
import { dataOf } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { checkpointOf } from '../../helpers/held-checkpoint';

/**
 * GET /orders/:id with `minPosition`: the order's document says how far it has applied the log
 * (readside/projections/orders.ts, orderDocumentPosition), so a position of its own order is
 * answered from the document alone; any other position still waits for the orders view's
 * checkpoint. The checkpoint is held back here (set behind what the view has applied, as a
 * checkpoint written lazily is for a while), so an answer that waited for it could not come.
 */
describe('GET /orders/:id reads its own order’s writes from the document', () => {
  const t = useSagaStack(fastSaga);
  const api = () => apiOf(t.stack);

  async function completedOrder() {
    const accountId = await t.h.openAccount(100_000);
    const sku = t.h.unique('RYOW');
    await t.h.stock(sku, 10, 500);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }], shippingAddress: address });
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    const completed = (await t.h.orderEvents(orderId)).find((e) => e.type === 'OrderCompleted')!;
    return { orderId, accountId, completed: completed.position };
  }

  /** The orders view's checkpoint, once the view has applied `position`. */
  const ordersCheckpoint = (position: number) => checkpointOf(t.stack.mongo.db, 'orders', position);

  const readOrder = (orderId: string, query: { minPosition?: number; waitMs?: number }) =>
    api().GET('/orders/{orderId}', { params: { path: { orderId }, query } });

  it('answers the position of the order’s last event from the document, with its checkpoint held behind', async () => {
    const { orderId, completed } = await completedOrder();
    const checkpoint = await ordersCheckpoint(await t.h.store.headPosition());
    await checkpoint.hold();
    try {
      const started = Date.now();
      const res = await readOrder(orderId, { minPosition: completed, waitMs: 1_000 });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      expect(res.data).toMatchObject({ orderId, status: 'COMPLETED' });
      // What the document shows: its own order's events up to its last, not the held checkpoint's 0.
      expect(Number(res.response.headers.get('x-read-model-position'))).toBe(completed);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await checkpoint.read()).toBe(0);
      // A read without minPosition says the same.
      const plain = await readOrder(orderId, {});
      expect(Number(plain.response.headers.get('x-read-model-position'))).toBe(completed);
    } finally {
      await checkpoint.release();
    }
  });

  it('waits for the checkpoint for a position of another stream, and answers once it is there', async () => {
    const { orderId, accountId, completed } = await completedOrder();
    // An event the orders view never applies, later than everything of the order.
    const deposited = await dataOf(
      api().POST('/accounts/{id}/deposits', { params: { path: { id: accountId } }, body: { amount: 1 } }),
    );
    expect(deposited.position).toBeGreaterThan(completed);
    const checkpoint = await ordersCheckpoint(deposited.position);
    await checkpoint.hold();
    try {
      // The document cannot show it and the checkpoint is held: behind, as before.
      const behind = await readOrder(orderId, { minPosition: deposited.position, waitMs: 300 });
      expect(behind.response.status).toBe(504);
      expect(behind.error?.error.code).toBe('read_model_behind');

      const started = Date.now();
      const waiting = readOrder(orderId, { minPosition: deposited.position, waitMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      await checkpoint.release();
      const res = await waiting;
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(res.data).toMatchObject({ orderId, status: 'COMPLETED' });
      expect(Number(res.response.headers.get('x-read-model-position'))).toBe(checkpoint.written);
    } finally {
      await checkpoint.release();
    }
  });

  it('still answers 422 for a position beyond the head of the log, and 404 for an unknown order', async () => {
    const { orderId, completed } = await completedOrder();
    const head = await t.h.store.headPosition();
    const ahead = await readOrder(orderId, { minPosition: head + 1_000_000, waitMs: 200 });
    expect(ahead.response.status).toBe(422);
    expect(ahead.error?.error.code).toBe('unknown_position');
    const unknown = await readOrder('no-such-order', { minPosition: completed, waitMs: 2_000 });
    expect(unknown.response.status).toBe(404);
    expect(Number(unknown.response.headers.get('x-read-model-position'))).toBeGreaterThanOrEqual(completed);
  });
});
