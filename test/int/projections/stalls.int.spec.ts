import { describe, expect, it } from 'vitest';
import { allCaughtUp, startProjectorProcess } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { dataOf, type Answer } from '../../../api/client';
import { apiOf, type Stack } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { openProjectionLetterAt } from '../../helpers/dead-letters';
import { waitFor } from '../../helpers/wait-for';

/** Stalled after 3 s without progress here (10 s by default). */
const STALL = { ...fastSaga, PROJECTION_STALL_AFTER: 3_000 };

const projection = async (stack: Stack, name: string) =>
  (await dataOf(apiOf(stack).GET('/projections'))).projections.find((p) => p.name === name)!;
const readSide = async (stack: Stack) => apiOf(stack).GET('/health/read-side');
const deposit = (stack: Stack, id: string, amount: number) =>
  dataOf(apiOf(stack).POST('/accounts/{id}/deposits', { params: { path: { id } }, body: { amount } }));
const openProjectionLetters = (stack: Stack, service: string) =>
  stack.mongo.db.collection('dead_letters').countDocuments({ source: 'projection', service });

describe('a read-model store that fails is not a poison event', () => {
  const t = useSagaStack(STALL);

  it('with projection:orders failing for 20 s during writes: no dead letter, stalled and the read side not ready within 10 s, then it catches up by itself', async () => {
    const accountId = await t.h.openAccount(1_000_000);
    const sku = t.h.unique('STALL');
    await t.h.stock(sku, 1_000, 100);
    await allCaughtUp(t.stack);
    const before = await openProjectionLetters(t.stack, 'orders');

    const faultAt = Date.now();
    await faultsOf(apiOf(t.stack)).inject('projection:orders', { mode: 'error' });
    const orders: string[] = [];
    const writer = (async () => {
      while (Date.now() - faultAt < 20_000) {
        orders.push((await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] })).orderId);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    const stalled = await waitFor(
      'orders to report stalled',
      async () => {
        const row = await projection(t.stack, 'orders');
        return row.state === 'stalled' ? row : undefined;
      },
      10_000,
    );
    expect(Date.now() - faultAt).toBeLessThan(10_000);
    expect(stalled.lagEvents).toBeGreaterThan(0);
    expect(stalled.lagMs).toBeGreaterThan(0);
    expect(stalled.lastError).toMatch(/unavailable/);
    const notReady = await readSide(t.stack);
    expect(notReady.response.status).toBe(503);
    expect((notReady.error as Answer<'/health/read-side', 'get', 503>).stalled.map((s) => s.name)).toContain('orders');
    // Nothing here would be fixed by restarting the API or taking it out of rotation.
    expect((await apiOf(t.stack).GET('/health')).response.status).toBe(200);
    expect((await apiOf(t.stack).GET('/health/ready')).response.status).toBe(200);
    expect((await apiOf(t.stack).GET('/metrics', { parseAs: 'text' })).data).toMatch(
      /projection_state\{projection="orders",state="stalled"\} 1/,
    );
    // Other projections keep going.
    expect((await projection(t.stack, 'accounts')).state).not.toBe('stalled');

    await writer;
    expect(await openProjectionLetters(t.stack, 'orders')).toBe(before);
    await faultsOf(apiOf(t.stack)).clear('projection:orders');

    // Nobody redrives anything: it recovers on its own, with every order readable.
    await waitFor(
      'orders to catch up',
      async () => {
        const row = await projection(t.stack, 'orders');
        return row.lagEvents === 0 && row.state === 'running' ? row : undefined;
      },
      30_000,
    );
    expect((await readSide(t.stack)).response.status).toBe(200);
    for (const orderId of orders)
      expect((await apiOf(t.stack).GET('/orders/{orderId}', { params: { path: { orderId } } })).response.status).toBe(
        200,
      );
    expect(await openProjectionLetters(t.stack, 'orders')).toBe(before);
    expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ instance: /^projection:orders:/ })).toBe(
      0,
    );
  }, 90_000);

  it('still parks a real poison event: the store answers the probe, only one stream fails', async () => {
    const poisoned = await t.h.openAccount(100);
    await allCaughtUp(t.stack);
    await faultsOf(apiOf(t.stack)).inject('projection:accounts', { mode: 'error', streamId: `account-${poisoned}` });
    const deposited = await deposit(t.stack, poisoned, 1);
    await waitFor('the poison event to be parked', () => openProjectionLetterAt(apiOf(t.stack), deposited.position));
    await faultsOf(apiOf(t.stack)).clear('projection:accounts');
    const row = await waitFor('accounts to move past it', async () => {
      const r = await projection(t.stack, 'accounts');
      return r.lagEvents === 0 ? r : undefined;
    });
    expect(row.state).toBe('running');
    expect(row.deadLetters).toBeGreaterThanOrEqual(1);
  });
});

describe('a frozen projector process', () => {
  const t = useSagaStack(STALL, { consumers: false });

  it('SIGSTOPped with work waiting: stalled within 10 s while its heartbeat is old news, running again after SIGCONT', async () => {
    const projector = await startProjectorProcess(t.stack);
    try {
      const accountId = await t.h.openAccount(1_000);
      await allCaughtUp(t.stack);
      projector.kill('SIGSTOP');
      const frozenAt = Date.now();
      for (let i = 0; i < 5; i++) await deposit(t.stack, accountId, 1);
      await waitFor(
        'accounts to report stalled',
        async () => (await projection(t.stack, 'accounts')).state === 'stalled',
        10_000,
      );
      expect(Date.now() - frozenAt).toBeLessThan(10_000);
      expect((await readSide(t.stack)).response.status).toBe(503);
      projector.kill('SIGCONT');
      await waitFor(
        'accounts to run again',
        async () => (await projection(t.stack, 'accounts')).state === 'running',
        15_000,
      );
      // The other projections had none of these events: their checkpoints catch up lazily (with the
      // next write, or within LAZY_CHECKPOINT_MS), so the read side is healthy once they have.
      await allCaughtUp(t.stack, 5_000);
      expect((await readSide(t.stack)).response.status).toBe(200);
    } finally {
      projector.kill('SIGCONT');
      projector.kill('SIGKILL');
    }
  }, 60_000);

  it('killed between resolving a dead letter and releasing what waited behind it: released in order on restart', async () => {
    let projector = await startProjectorProcess(t.stack);
    try {
      const accountId = await t.h.openAccount(1_000);
      await allCaughtUp(t.stack);
      const faults = faultsOf(apiOf(t.stack));
      await faults.inject('projection:accounts', { mode: 'error', streamId: `account-${accountId}` });
      const bad = await deposit(t.stack, accountId, 10);
      const letter = await waitFor('the dead letter', () => openProjectionLetterAt(apiOf(t.stack), bad.position));
      await faults.clear('projection:accounts');
      // Two more events of the stream wait behind the dead letter.
      await dataOf(
        apiOf(t.stack).POST('/accounts/{id}/withdrawals', {
          params: { path: { id: accountId } },
          body: { amount: 100 },
        }),
      );
      await deposit(t.stack, accountId, 1);
      await waitFor(
        'both to be parked',
        async () =>
          (await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` })) ===
          2,
      );

      // The projector dies right after marking the letter redriven, before the release.
      await faults.inject('projection:accounts', { mode: 'crash-after-resolve', failures: 1 });
      const exited = new Promise((r) => projector.once('exit', (_code, signal) => r(signal)));
      const deadLetter = { params: { path: { id: letter.id } } };
      expect((await apiOf(t.stack).POST('/dead-letters/{id}/redrive', deadLetter)).response.status).toBe(202);
      expect(await exited).toBe('SIGKILL');
      expect((await apiOf(t.stack).GET('/dead-letters/{id}', deadLetter)).data?.status).toBe('redriven');
      expect(
        await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` }),
      ).toBe(2);
      // Meanwhile a newer event of the same stream arrives: it must not overtake the parked ones.
      const newer = await deposit(t.stack, accountId, 1_000);

      projector = await startProjectorProcess(t.stack);
      const account = await waitFor('the stream to be whole again', async () => {
        const res = await apiOf(t.stack).GET('/accounts', {
          params: { query: { limit: 200, minPosition: newer.position, waitMs: 5000 } },
        });
        const row = res.data?.accounts.find((a) => a.accountId === accountId);
        return row?.version === 5 ? row : undefined;
      });
      expect(account.balance).toBe(1_000 + 10 - 100 + 1 + 1_000);
      expect(
        await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` }),
      ).toBe(0);
    } finally {
      projector.kill('SIGKILL');
    }
  }, 60_000);
});
