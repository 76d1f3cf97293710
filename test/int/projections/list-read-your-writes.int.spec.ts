import { describe, expect, it } from 'vitest';
import { dataOf } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { checkpointOf } from '../../helpers/held-checkpoint';

/**
 * The accounts, inventory and sales read models are read as lists, and write their checkpoints
 * lazily: a list read with `minPosition` answers once the documents of the listed collection that
 * the event at that position writes hold it (readside/projections/types.ts, documentsHold), without
 * waiting for the checkpoint. Here each projection's checkpoint is held at 0 (as one written lazily
 * is, for a while), so an answer that waited for it could not come; a position whose event the list
 * does not show still waits for the checkpoint, and gets it once it is released.
 */
describe('list reads of one’s own writes answer from the documents, with the checkpoint held behind', () => {
  const t = useSagaStack(fastSaga);
  const api = () => apiOf(t.stack);

  /** The projection's checkpoint, once it has reached `position`, held at 0. */
  async function heldCheckpoint(projection: string, position: number) {
    const checkpoint = await checkpointOf(t.stack.mongo.db, projection, position);
    await checkpoint.hold();
    return checkpoint;
  }

  /** A completed order of one unit of its own SKU, and its account: the writes each list shows. */
  async function completedOrder() {
    const accountId = await t.h.openAccount(100_000);
    const sku = t.h.unique('LIST');
    await t.h.stock(sku, 10, 700);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }], shippingAddress: address });
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    const completed = (await t.h.orderEvents(orderId)).find((e) => e.type === 'OrderCompleted')!.position;
    return { accountId, sku, completed };
  }

  const lists = {
    accounts: (query: object) => api().GET('/accounts', { params: { query: { limit: 100, ...query } } }),
    inventory: (query: object) => api().GET('/inventory', { params: { query } }),
    'sales by day': (query: object) =>
      api().GET('/analytics/sales', { params: { query: { groupBy: 'day' as const, ...query } } }),
    'sales by SKU': (query: object) =>
      api().GET('/analytics/sales', { params: { query: { groupBy: 'sku' as const, ...query } } }),
  };

  /**
   * Per list: its projection, its own write (a position it shows) and what the answer must contain,
   * and a position of an event it does not show.
   */
  interface Written {
    own: number;
    other: number;
    shows: (body: any) => boolean;
  }
  const cases: Array<{ list: keyof typeof lists; projection: string; write(): Promise<Written> }> = [
    {
      list: 'accounts' as const,
      projection: 'accounts',
      async write() {
        const { accountId, completed } = await completedOrder();
        const deposit = await dataOf(
          api().POST('/accounts/{id}/deposits', { params: { path: { id: accountId } }, body: { amount: 123 } }),
        );
        return {
          own: deposit.position,
          other: completed,
          shows: (body: any) =>
            body.accounts.some((a: any) => a.accountId === accountId && a.balance === 100_000 - 700 + 123),
        };
      },
    },
    {
      list: 'inventory' as const,
      projection: 'inventory',
      async write() {
        const { accountId, sku } = await completedOrder();
        const restock = await dataOf(api().POST('/inventory', { body: { sku, quantity: 5, price: 700 } }));
        const deposit = await dataOf(
          api().POST('/accounts/{id}/deposits', { params: { path: { id: accountId } }, body: { amount: 1 } }),
        );
        return {
          own: Number(restock.position),
          other: deposit.position,
          shows: (body: any) => body.levels.some((l: any) => l.sku === sku && l.available === 14),
        };
      },
    },
    ...(['sales by day', 'sales by SKU'] as const).map((list) => ({
      list,
      projection: 'sales',
      async write() {
        const { accountId, sku, completed } = await completedOrder();
        const deposit = await dataOf(
          api().POST('/accounts/{id}/deposits', { params: { path: { id: accountId } }, body: { amount: 1 } }),
        );
        return {
          own: completed,
          other: deposit.position,
          shows: (body: any) =>
            list === 'sales by SKU' ? body.rows.some((r: any) => r.sku === sku && r.units === 1) : body.rows.length > 0,
        };
      },
    })),
  ];

  it.each(cases)(
    '$list: its own write answers at once; a position it does not show waits for the checkpoint',
    async ({ list, projection, write }) => {
      const { own, other, shows } = await write();
      const checkpoint = await heldCheckpoint(projection, Math.max(own, other));
      try {
        const res = await lists[list]({ minPosition: own, waitMs: 2_000 });
        expect(res.response.status, JSON.stringify(res.error)).toBe(200);
        expect(shows(res.data)).toBe(true);
        expect(Number(res.response.headers.get('x-read-model-position'))).toBe(own);
        // Answered from the documents: the checkpoint was 0 all along.
        expect(await checkpoint.read()).toBe(0);

        // An event this list does not show: its documents cannot vouch, so it waits for the checkpoint.
        const behind = await lists[list]({ minPosition: other, waitMs: 300 });
        expect(behind.response.status).toBe(504);
        expect((behind.error as any)?.error.code).toBe('read_model_behind');
        const waiting = lists[list]({ minPosition: other, waitMs: 10_000 });
        await new Promise((r) => setTimeout(r, 200));
        await checkpoint.release();
        const answered = await waiting;
        expect(answered.response.status, JSON.stringify(answered.error)).toBe(200);
        expect(Number(answered.response.headers.get('x-read-model-position'))).toBe(checkpoint.written);
      } finally {
        await checkpoint.release();
      }
    },
  );

  it('answers a position beyond the log’s head with 422 before it judges the rest of the query', async () => {
    const head = await t.h.store.headPosition();
    // The order of the two answers is the contract's: from after to alone is empty_range.
    const beyond = await api().GET('/analytics/sales', {
      params: { query: { minPosition: head + 1_000_000, from: '9426-07-12', to: '0371-03-01', waitMs: 200 } },
    });
    expect(beyond.response.status).toBe(422);
    expect((beyond.error as any)?.error.code).toBe('unknown_position');
    const reversed = await api().GET('/analytics/sales', {
      params: { query: { from: '9426-07-12', to: '0371-03-01' } },
    });
    expect(reversed.response.status).toBe(422);
    expect((reversed.error as any)?.error.code).toBe('empty_range');
  });
});
