import { describe, expect, it } from 'vitest';
import { accountsProjection } from '../../../readside/projections';
import { projectionState } from '../../../readside/projections/generations';
import { http } from '../../helpers/stack';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { contents, freshRebuild } from '../../helpers/projections';
import { waitFor } from '../../helpers/wait-for';

describe('read side: consistency, rebuild, poison events, lag', () => {
  const t = useSagaStack(fastSaga);

  const accountInList = async (accountId: string, query = '') => {
    const res = await http(t.stack.baseUrl, 'GET', `/accounts?limit=200${query}`);
    return { res, account: (res.body.accounts ?? []).find((a: { accountId: string }) => a.accountId === accountId) };
  };

  it('lets a client read its own write by passing the position its command returned', async () => {
    const opened = await http(t.stack.baseUrl, 'POST', '/accounts', { owner: 'ryow', initialDeposit: 500 });
    const deposit = await http(t.stack.baseUrl, 'POST', `/accounts/${opened.body.accountId}/deposits`, { amount: 250 });
    expect(deposit.body.position).toBeGreaterThan(opened.body.position);
    const { res, account } = await accountInList(opened.body.accountId, `&minPosition=${deposit.body.position}`);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-read-model-position'))).toBeGreaterThanOrEqual(deposit.body.position);
    expect(account).toMatchObject({ balance: 750, version: 2, owner: 'ryow' });

    const ahead = await http(t.stack.baseUrl, 'GET', `/accounts?minPosition=${deposit.body.position + 1_000_000}&waitMs=200`);
    expect(ahead.status).toBe(422);
    expect(ahead.body.error.code).toBe('unknown_position');
    expect((await http(t.stack.baseUrl, 'GET', '/accounts?minPosition=-1')).status).toBe(400);
    expect((await http(t.stack.baseUrl, 'GET', '/accounts', undefined, { 'x-min-position': String(deposit.body.position) })).status).toBe(200);
  });

  it('parks a poison event, keeps other streams flowing, holds later events of its stream, and applies them in order after a redrive', async () => {
    const poisoned = await t.h.openAccount(1_000);
    const healthy = await t.h.openAccount(1_000);
    await waitFor('both accounts in the read model', async () => (await accountInList(poisoned)).account && (await accountInList(healthy)).account);
    // The accounts projection now fails on every event of one stream: a poison event.
    await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'error', streamId: `account-${poisoned}` });
    const first = await http(t.stack.baseUrl, 'POST', `/accounts/${poisoned}/deposits`, { amount: 10 });
    const letter = await waitFor('the dead letter', async () => {
      const list = (await http(t.stack.baseUrl, 'GET', '/dead-letters?source=projection&status=open')).body.deadLetters;
      return list.find((d: { input: { position: number } }) => d.input.position === first.body.position);
    });
    expect(letter).toMatchObject({ source: 'projection', service: 'accounts', kind: 'event', attempts: 5, error: expect.stringMatching(/unavailable/) });

    // Later events of the same stream wait behind it, even though the fault no longer matters for them.
    await http(t.stack.baseUrl, 'DELETE', '/faults/projection:accounts');
    await http(t.stack.baseUrl, 'POST', `/accounts/${poisoned}/withdrawals`, { amount: 300 });
    await http(t.stack.baseUrl, 'POST', `/accounts/${poisoned}/deposits`, { amount: 5 });
    // Other streams keep flowing.
    const other = await http(t.stack.baseUrl, 'POST', `/accounts/${healthy}/deposits`, { amount: 99 });
    const flowing = await accountInList(healthy, `&minPosition=${other.body.position}`);
    expect(flowing.account.balance).toBe(1_099);
    expect((await accountInList(poisoned)).account).toMatchObject({ balance: 1_000, version: 1 });
    expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${poisoned}` })).toBe(2);

    const redrive = await http(t.stack.baseUrl, 'POST', `/dead-letters/${encodeURIComponent(letter.id)}/redrive`);
    expect(redrive.status).toBe(202);
    await expect.poll(async () => (await http(t.stack.baseUrl, 'GET', `/dead-letters/${encodeURIComponent(letter.id)}`)).body.status, { message: 'the redrive to be carried out', timeout: 20_000 }).toBe('redriven');
    await expect.poll(async () => (await accountInList(poisoned)).account?.version, { message: 'the parked events to be applied', timeout: 20_000 }).toBe(4);
    expect((await accountInList(poisoned)).account.balance).toBe(1_000 + 10 - 300 + 5);
    expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${poisoned}` })).toBe(0);
    expect((await http(t.stack.baseUrl, 'POST', `/dead-letters/${encodeURIComponent(letter.id)}/redrive`)).status).toBe(409);
    expect(await t.stack.mongo.db.collection('audit_log').countDocuments({ deadLetterId: letter.id, action: 'redrive-dead-letter' })).toBe(1);
  });

  it('discards a poison event on request, records it in the audit log, and releases what waited behind it', async () => {
    const accountId = await t.h.openAccount(100);
    await waitFor('the account in the read model', async () => (await accountInList(accountId)).account);
    await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'error', streamId: `account-${accountId}`, failures: 5 });
    const bad = await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 1 });
    const letter = await waitFor('the dead letter', async () =>
      (await http(t.stack.baseUrl, 'GET', '/dead-letters?source=projection&status=open')).body.deadLetters.find((d: { input: { position: number } }) => d.input.position === bad.body.position),
    );
    await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 20 });
    expect((await http(t.stack.baseUrl, 'DELETE', `/dead-letters/${encodeURIComponent(letter.id)}`)).status).toBe(202);
    await expect.poll(async () => (await http(t.stack.baseUrl, 'GET', `/dead-letters/${encodeURIComponent(letter.id)}`)).body.status, { message: 'the discard', timeout: 20_000 }).toBe('discarded');
    // The discarded deposit is missing from the read model on purpose; the one behind it is applied.
    await expect.poll(async () => (await accountInList(accountId)).account?.balance, { message: 'the event behind it', timeout: 20_000 }).toBe(120);
    expect(await t.stack.mongo.db.collection('audit_log').countDocuments({ deadLetterId: letter.id, action: 'discard-dead-letter' })).toBe(1);
  });

  it('rebuilds a projection into a fresh generation while writes continue and reads keep working, then swaps it in', async () => {
    const accounts = await Promise.all([1, 2, 3].map(() => t.h.openAccount(1_000)));
    const before = await projectionState(t.stack.mongo.db, 'accounts');
    let writing = true;
    let readFailures = 0;
    let reads = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) await http(t.stack.baseUrl, 'POST', `/accounts/${accounts[i % 3]}/deposits`, { amount: 1 });
    })();
    const reader = (async () => {
      while (writing) {
        const res = await http(t.stack.baseUrl, 'GET', '/accounts?limit=5');
        reads++;
        if (res.status !== 200) readFailures++;
      }
    })();

    const started = await http(t.stack.baseUrl, 'POST', '/projections/accounts/rebuild');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ projection: 'accounts', generation: before.active + 1, servingGeneration: before.active });
    expect((await http(t.stack.baseUrl, 'POST', '/projections/accounts/rebuild')).status).toBe(409);
    await expect.poll(async () => (await projectionState(t.stack.mongo.db, 'accounts')).active, { message: 'the rebuild to swap in', timeout: 60_000 }).toBe(before.active + 1);
    writing = false;
    await Promise.all([writer, reader]);
    expect(reads).toBeGreaterThan(0);
    expect(readFailures).toBe(0);

    const head = (await http(t.stack.baseUrl, 'GET', '/projections')).body.headPosition;
    await http(t.stack.baseUrl, 'GET', `/accounts?minPosition=${head}`);
    const live = await contents(t.stack.mongo.db, accountsProjection, before.active + 1);
    expect(live).toEqual(await freshRebuild(t.stack.mongo.db, accountsProjection));
    expect((await http(t.stack.baseUrl, 'POST', '/projections/nope/rebuild')).status).toBe(404);
  });

  it('reports lag per projection, which returns to zero when writes stop', async () => {
    const accountId = await t.h.openAccount(10);
    for (let i = 0; i < 20; i++) await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 1 });
    const settled = await waitFor('lag to return to zero', async () => {
      const body = (await http(t.stack.baseUrl, 'GET', '/projections')).body;
      return body.projections.every((p: { lagEvents: number }) => p.lagEvents === 0) ? body : undefined;
    });
    expect(settled.projections.map((p: { name: string }) => p.name).sort()).toEqual(['accounts', 'inventory', 'orders', 'sales']);
    for (const p of settled.projections) expect(p).toMatchObject({ position: settled.headPosition, lagEvents: 0, lagMs: 0 });
  });
});
