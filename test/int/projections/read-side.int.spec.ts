import { describe, expect, it } from 'vitest';
import { accountsProjection } from '../../../readside/projections';
import { projectionState } from '../../../readside/projections/generations';
import { dataOf } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { openProjectionLetterAt } from '../../helpers/dead-letters';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { contents, freshRebuild } from '../../helpers/projections';
import { waitFor } from '../../helpers/wait-for';

describe('read side: consistency, rebuild, poison events, lag', () => {
  const t = useSagaStack(fastSaga);

  const api = () => apiOf(t.stack);
  const accountInList = async (accountId: string, query: { minPosition?: number } = {}) => {
    const res = await api().GET('/accounts', { params: { query: { limit: 200, ...query } } });
    return { res, account: (res.data?.accounts ?? []).find((a) => a.accountId === accountId) };
  };
  const deposit = async (id: string, amount: number) =>
    dataOf(api().POST('/accounts/{id}/deposits', { params: { path: { id } }, body: { amount } }));
  const withdraw = async (id: string, amount: number) =>
    dataOf(api().POST('/accounts/{id}/withdrawals', { params: { path: { id } }, body: { amount } }));
  const deadLetter = (id: string) => ({ params: { path: { id } } });

  it('lets a client read its own write by passing the position its command returned', async () => {
    const opened = await dataOf(api().POST('/accounts', { body: { owner: 'ryow', initialDeposit: 500 } }));
    const deposited = await deposit(opened.accountId, 250);
    expect(deposited.position).toBeGreaterThan(opened.position as number); // the contract names no position for an opened account, the answer carries one
    const { res, account } = await accountInList(opened.accountId, { minPosition: deposited.position });
    expect(res.response.status).toBe(200);
    expect(Number(res.response.headers.get('x-read-model-position'))).toBeGreaterThanOrEqual(deposited.position);
    expect(account).toMatchObject({ balance: 750, version: 2, owner: 'ryow' });

    const ahead = await api().GET('/accounts', {
      params: { query: { minPosition: deposited.position + 1_000_000, waitMs: 200 } },
    });
    expect(ahead.response.status).toBe(422);
    expect(ahead.error?.error.code).toBe('unknown_position');
    expect((await api().GET('/accounts', { params: { query: { minPosition: -1 } } })).response.status).toBe(400);
    expect(
      (await api().GET('/accounts', { headers: { 'x-min-position': String(deposited.position) } })).response.status,
    ).toBe(200);
  });

  it('parks a poison event, keeps other streams flowing, holds later events of its stream, and applies them in order after a redrive', async () => {
    const poisoned = await t.h.openAccount(1_000);
    const healthy = await t.h.openAccount(1_000);
    await waitFor(
      'both accounts in the read model',
      async () => (await accountInList(poisoned)).account && (await accountInList(healthy)).account,
    );
    // The accounts projection now fails on every event of one stream: a poison event.
    await faultsOf(api()).inject('projection:accounts', { mode: 'error', streamId: `account-${poisoned}` });
    const first = await deposit(poisoned, 10);
    const letter = await waitFor('the dead letter', () => openProjectionLetterAt(api(), first.position));
    expect(letter).toMatchObject({
      source: 'projection',
      service: 'accounts',
      kind: 'event',
      attempts: 5,
      error: expect.stringMatching(/unavailable/),
    });

    // Later events of the same stream wait behind it, even though the fault no longer matters for them.
    await faultsOf(api()).clear('projection:accounts');
    await withdraw(poisoned, 300);
    await deposit(poisoned, 5);
    // Other streams keep flowing.
    const other = await deposit(healthy, 99);
    const flowing = await accountInList(healthy, { minPosition: other.position });
    expect(flowing.account!.balance).toBe(1_099);
    expect((await accountInList(poisoned)).account).toMatchObject({ balance: 1_000, version: 1 });
    expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${poisoned}` })).toBe(
      2,
    );

    const redrive = await api().POST('/dead-letters/{id}/redrive', deadLetter(letter.id));
    expect(redrive.response.status).toBe(202);
    await expect
      .poll(async () => (await api().GET('/dead-letters/{id}', deadLetter(letter.id))).data?.status, {
        message: 'the redrive to be carried out',
        timeout: 20_000,
      })
      .toBe('redriven');
    await expect
      .poll(async () => (await accountInList(poisoned)).account?.version, {
        message: 'the parked events to be applied',
        timeout: 20_000,
      })
      .toBe(4);
    expect((await accountInList(poisoned)).account!.balance).toBe(1_000 + 10 - 300 + 5);
    expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${poisoned}` })).toBe(
      0,
    );
    expect((await api().POST('/dead-letters/{id}/redrive', deadLetter(letter.id))).response.status).toBe(409);
    expect(
      await t.stack.mongo.db
        .collection('audit_log')
        .countDocuments({ deadLetterId: letter.id, action: 'redrive-dead-letter' }),
    ).toBe(1);
  });

  it('discards a poison event on request, records it in the audit log, and releases what waited behind it', async () => {
    const accountId = await t.h.openAccount(100);
    await waitFor('the account in the read model', async () => (await accountInList(accountId)).account);
    await faultsOf(api()).inject('projection:accounts', {
      mode: 'error',
      streamId: `account-${accountId}`,
      failures: 5,
    });
    const bad = await deposit(accountId, 1);
    const letter = await waitFor('the dead letter', () => openProjectionLetterAt(api(), bad.position));
    await deposit(accountId, 20);
    expect((await api().DELETE('/dead-letters/{id}', deadLetter(letter.id))).response.status).toBe(202);
    await expect
      .poll(async () => (await api().GET('/dead-letters/{id}', deadLetter(letter.id))).data?.status, {
        message: 'the discard',
        timeout: 20_000,
      })
      .toBe('discarded');
    // The discarded deposit is missing from the read model on purpose; the one behind it is applied.
    await expect
      .poll(async () => (await accountInList(accountId)).account?.balance, {
        message: 'the event behind it',
        timeout: 20_000,
      })
      .toBe(120);
    expect(
      await t.stack.mongo.db
        .collection('audit_log')
        .countDocuments({ deadLetterId: letter.id, action: 'discard-dead-letter' }),
    ).toBe(1);
  });

  it('rebuilds a projection into a fresh generation while writes continue and reads keep working, then swaps it in', async () => {
    const accounts = await Promise.all([1, 2, 3].map(() => t.h.openAccount(1_000)));
    const before = await projectionState(t.stack.mongo.db, 'accounts');
    let writing = true;
    let readFailures = 0;
    let reads = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++)
        await api().POST('/accounts/{id}/deposits', {
          params: { path: { id: accounts[i % 3]! } },
          body: { amount: 1 },
        });
    })();
    const reader = (async () => {
      while (writing) {
        const res = await api().GET('/accounts', { params: { query: { limit: 5 } } });
        reads++;
        if (res.response.status !== 200) readFailures++;
      }
    })();

    const rebuild = (name: string) => api().POST('/projections/{name}/rebuild', { params: { path: { name } } });
    const started = await rebuild('accounts');
    expect(started.response.status).toBe(202);
    expect(started.data).toMatchObject({
      projection: 'accounts',
      generation: before.active + 1,
      servingGeneration: before.active,
    });
    expect((await rebuild('accounts')).response.status).toBe(409);
    await expect
      .poll(async () => (await projectionState(t.stack.mongo.db, 'accounts')).active, {
        message: 'the rebuild to swap in',
        timeout: 60_000,
      })
      .toBe(before.active + 1);
    writing = false;
    await Promise.all([writer, reader]);
    expect(reads).toBeGreaterThan(0);
    expect(readFailures).toBe(0);

    const head = (await dataOf(api().GET('/projections'))).headPosition;
    await api().GET('/accounts', { params: { query: { minPosition: head } } });
    const live = await contents(t.stack.mongo.db, accountsProjection, before.active + 1);
    expect(live).toEqual(await freshRebuild(t.stack.mongo.db, accountsProjection));
    expect((await rebuild('nope')).response.status).toBe(404);
  });

  it('answers GET /orders/:id for an order throughout a rebuild of the orders view, the swap and the old generation dropped included', async () => {
    const accountId = await t.h.openAccount(100_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 10, 100);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    await t.h.orderView(orderId, 'COMPLETED');
    const before = await projectionState(t.stack.mongo.db, 'orders');
    let reading = true;
    const answers: number[] = [];
    // The API remembers which generation serves one-document reads for a moment: a read right
    // after the swap, with the old generation already dropped, must still find the order.
    const reader = (async () => {
      while (reading) {
        const res = await api().GET('/orders/{orderId}', { params: { path: { orderId } } });
        answers.push(res.data?.status === 'COMPLETED' ? 200 : res.response.status);
      }
    })();
    const started = await api().POST('/projections/{name}/rebuild', { params: { path: { name: 'orders' } } });
    expect(started.response.status).toBe(202);
    await expect
      .poll(async () => (await projectionState(t.stack.mongo.db, 'orders')).active, {
        message: 'the rebuild of the orders view to swap in',
        timeout: 60_000,
      })
      .toBe(before.active + 1);
    // Reads go on past the drop of the old generation and past the time the API trusts what it saw.
    await new Promise((r) => setTimeout(r, 1_500));
    reading = false;
    await reader;
    expect(answers.length).toBeGreaterThan(10);
    expect(answers.filter((a) => a !== 200)).toEqual([]);
  });

  it('reports lag per projection, which returns to zero when writes stop', async () => {
    const accountId = await t.h.openAccount(10);
    for (let i = 0; i < 20; i++) await deposit(accountId, 1);
    const settled = await waitFor('lag to return to zero', async () => {
      const body = await dataOf(api().GET('/projections'));
      return body.projections.every((p) => p.lagEvents === 0) ? body : undefined;
    });
    expect(settled.projections.map((p) => p.name).sort()).toEqual(['accounts', 'inventory', 'orders', 'sales']);
    for (const p of settled.projections)
      expect(p).toMatchObject({ position: settled.headPosition, lagEvents: 0, lagMs: 0 });
  });
});
