import { describe, expect, it } from 'vitest';
import { allCaughtUp, startProjectorProcess } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { http, type Stack } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

/** Stalled after 3 s without progress here (10 s by default). */
const STALL = { ...fastSaga, PROJECTION_STALL_AFTER: 3_000 };

const projection = async (stack: Stack, name: string) => (await http(stack.baseUrl, 'GET', '/projections')).body.projections.find((p: { name: string }) => p.name === name);
const readSide = async (stack: Stack) => http(stack.baseUrl, 'GET', '/health/read-side');
const openProjectionLetters = (stack: Stack, service: string) => stack.mongo.db.collection('dead_letters').countDocuments({ source: 'projection', service });

describe('a read-model store that fails is not a poison event', () => {
  const t = useSagaStack(STALL);

  it('with projection:orders failing for 20 s during writes: no dead letter, stalled and the read side not ready within 10 s, then it catches up by itself', async () => {
    const accountId = await t.h.openAccount(1_000_000);
    const sku = t.h.unique('STALL');
    await t.h.stock(sku, 1_000, 100);
    await allCaughtUp(t.stack);
    const before = await openProjectionLetters(t.stack, 'orders');

    const faultAt = Date.now();
    await http(t.stack.baseUrl, 'PUT', '/faults/projection:orders', { mode: 'error' });
    const orders: string[] = [];
    const writer = (async () => {
      while (Date.now() - faultAt < 20_000) {
        orders.push((await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] })).orderId);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    const stalled = await waitFor('orders to report stalled', async () => {
      const row = await projection(t.stack, 'orders');
      return row.state === 'stalled' ? row : undefined;
    }, 10_000);
    expect(Date.now() - faultAt).toBeLessThan(10_000);
    expect(stalled.lagEvents).toBeGreaterThan(0);
    expect(stalled.lagMs).toBeGreaterThan(0);
    expect(stalled.lastError).toMatch(/unavailable/);
    const notReady = await readSide(t.stack);
    expect(notReady.status).toBe(503);
    expect(notReady.body.stalled.map((s: { name: string }) => s.name)).toContain('orders');
    // Nothing here would be fixed by restarting the API or taking it out of rotation.
    expect((await http(t.stack.baseUrl, 'GET', '/health')).status).toBe(200);
    expect((await http(t.stack.baseUrl, 'GET', '/health/ready')).status).toBe(200);
    expect((await http(t.stack.baseUrl, 'GET', '/metrics')).text).toMatch(/projection_state\{projection="orders",state="stalled"\} 1/);
    // Other projections keep going.
    expect((await projection(t.stack, 'accounts')).state).not.toBe('stalled');

    await writer;
    expect(await openProjectionLetters(t.stack, 'orders')).toBe(before);
    await http(t.stack.baseUrl, 'DELETE', '/faults/projection:orders');

    // Nobody redrives anything: it recovers on its own, with every order readable.
    await waitFor('orders to catch up', async () => {
      const row = await projection(t.stack, 'orders');
      return row.lagEvents === 0 && row.state === 'running' ? row : undefined;
    }, 30_000);
    expect((await readSide(t.stack)).status).toBe(200);
    for (const orderId of orders) expect((await http(t.stack.baseUrl, 'GET', `/orders/${orderId}`)).status).toBe(200);
    expect(await openProjectionLetters(t.stack, 'orders')).toBe(before);
    expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ instance: /^projection:orders:/ })).toBe(0);
  }, 90_000);

  it('still parks a real poison event: the store answers the probe, only one stream fails', async () => {
    const poisoned = await t.h.openAccount(100);
    await allCaughtUp(t.stack);
    await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'error', streamId: `account-${poisoned}` });
    const deposit = await http(t.stack.baseUrl, 'POST', `/accounts/${poisoned}/deposits`, { amount: 1 });
    await waitFor('the poison event to be parked', async () =>
      (await http(t.stack.baseUrl, 'GET', '/dead-letters?source=projection&status=open')).body.deadLetters.find((d: { input: { position: number } }) => d.input.position === deposit.body.position),
    );
    await http(t.stack.baseUrl, 'DELETE', '/faults/projection:accounts');
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
      for (let i = 0; i < 5; i++) await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 1 });
      await waitFor('accounts to report stalled', async () => (await projection(t.stack, 'accounts')).state === 'stalled', 10_000);
      expect(Date.now() - frozenAt).toBeLessThan(10_000);
      expect((await readSide(t.stack)).status).toBe(503);
      projector.kill('SIGCONT');
      await waitFor('accounts to run again', async () => (await projection(t.stack, 'accounts')).state === 'running', 15_000);
      expect((await readSide(t.stack)).status).toBe(200);
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
      await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'error', streamId: `account-${accountId}` });
      const bad = await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 10 });
      const letter = await waitFor('the dead letter', async () =>
        (await http(t.stack.baseUrl, 'GET', '/dead-letters?source=projection&status=open')).body.deadLetters.find((d: { input: { position: number } }) => d.input.position === bad.body.position),
      );
      await http(t.stack.baseUrl, 'DELETE', '/faults/projection:accounts');
      // Two more events of the stream wait behind the dead letter.
      await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/withdrawals`, { amount: 100 });
      await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 1 });
      await waitFor('both to be parked', async () => (await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` })) === 2);

      // The projector dies right after marking the letter redriven, before the release.
      await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'crash-after-resolve', failures: 1 });
      const exited = new Promise((r) => projector.once('exit', (_code, signal) => r(signal)));
      expect((await http(t.stack.baseUrl, 'POST', `/dead-letters/${encodeURIComponent(letter.id)}/redrive`)).status).toBe(202);
      expect(await exited).toBe('SIGKILL');
      expect((await http(t.stack.baseUrl, 'GET', `/dead-letters/${encodeURIComponent(letter.id)}`)).body.status).toBe('redriven');
      expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` })).toBe(2);
      // Meanwhile a newer event of the same stream arrives: it must not overtake the parked ones.
      const newer = await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 1_000 });

      projector = await startProjectorProcess(t.stack);
      const account = await waitFor('the stream to be whole again', async () => {
        const res = await http(t.stack.baseUrl, 'GET', `/accounts?limit=200&minPosition=${newer.body.position}&waitMs=5000`);
        const row = res.body.accounts?.find((a: { accountId: string }) => a.accountId === accountId);
        return row?.version === 5 ? row : undefined;
      });
      expect(account.balance).toBe(1_000 + 10 - 100 + 1 + 1_000);
      expect(await t.stack.mongo.db.collection('parked_events').countDocuments({ streamId: `account-${accountId}` })).toBe(0);
    } finally {
      projector.kill('SIGKILL');
    }
  }, 60_000);
});
