import { describe, expect, it } from 'vitest';
import { projections } from '../../../readside/projections';
import { projectionState } from '../../../readside/projections/generations';
import { dataOf } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { allCaughtUp, contents, freshRebuild, startProjectorProcess } from '../../helpers/projections';
import { waitFor } from '../../helpers/wait-for';

describe('projector: killed in the middle of a stream of events', () => {
  const t = useSagaStack(fastSaga, { consumers: false });
  const api = () => apiOf(t.stack);

  it('resumes from its checkpoint after SIGKILL: every read model equals a full rebuild and no event was applied twice', async () => {
    const accounts = await Promise.all([1, 2, 3, 4].map(() => t.h.openAccount(50_000)));
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 100, 300);

    let projector = await startProjectorProcess(t.stack);
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        const accountId = accounts[i % accounts.length]!;
        await api().POST('/accounts/{id}/deposits', {
          params: { path: { id: accountId } },
          body: { amount: 1 + (i % 7) },
        });
        i++;
      }
      return i;
    })();
    const orders = await Promise.all(
      [0, 1, 2].map((i) => t.h.placeOrder({ accountId: accounts[i]!, items: [{ sku, quantity: 1 + i }] })),
    );

    // Kill it once it has applied part of the stream, while events keep coming.
    await waitFor('the projector to apply some events', async () => {
      const state = await projectionState(t.stack.mongo.db, 'accounts');
      const cp = await t.stack.mongo.db
        .collection('checkpoints')
        .findOne({ _id: `projection:accounts:g${state.active}` as never });
      return (cp?.position ?? 0) > 20;
    });
    projector.kill('SIGKILL');
    await new Promise((r) => projector.once('exit', r));
    // Events pile up while it is down, and the lag says so.
    const behind = await waitFor('lag to show while the projector is down', async () => {
      const accounts = (await dataOf(api().GET('/projections'))).projections.find((p) => p.name === 'accounts')!;
      return accounts.lagEvents > 5 && accounts.lagMs > 0 ? accounts : undefined;
    });
    expect(behind.position as number).toBeLessThan(behind.headPosition as number);
    // A client waiting for its write while the projector is down gets a 504 after its wait.
    const timedOut = await api().GET('/accounts', {
      params: { query: { minPosition: behind.headPosition as number, waitMs: 300 } },
    });
    expect(timedOut.response.status).toBe(504);
    expect(timedOut.error?.error.code).toBe('read_model_behind');
    projector = await startProjectorProcess(t.stack);

    for (const { orderId } of orders) await t.h.result(orderId);
    writing = false;
    const deposits = await writer;
    expect(deposits).toBeGreaterThan(20);

    await allCaughtUp(t.stack);
    for (const projection of projections) {
      const state = await projectionState(t.stack.mongo.db, projection.name);
      const live = await contents(t.stack.mongo.db, projection, state.active);
      expect(Object.values(live).flat().length, `${projection.name} has documents`).toBeGreaterThan(0);
      expect(live, `${projection.name} equals a full rebuild`).toEqual(
        await freshRebuild(t.stack.mongo.db, projection),
      );
    }
    // Applied once: the read model's balances are the accounts' own (a double-applied deposit would show).
    const listed = (await dataOf(api().GET('/accounts', { params: { query: { limit: 200 } } }))).accounts;
    for (const accountId of accounts) {
      expect(listed.find((a) => a.accountId === accountId)?.balance).toBe(await t.h.balance(accountId));
    }
    const level = (await dataOf(api().GET('/inventory'))).levels.find((l) => l.sku === sku);
    expect(level).toEqual({ ...(await t.h.level(sku)), sku });
    const sales = (await dataOf(api().GET('/analytics/sales', { params: { query: { groupBy: 'sku' } } }))).rows.find(
      (r) => r.sku === sku,
    );
    expect(sales).toEqual({ sku, orders: 3, units: 6, revenue: 1_800 });

    projector.kill('SIGTERM');
    await new Promise((r) => projector.once('exit', r));
  }, 120_000);
});
