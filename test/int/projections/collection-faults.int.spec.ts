import { describe, expect, it } from 'vitest';
import { ordersProjection } from '../../../readside/projections';
import { projectionState } from '../../../readside/projections/generations';
import { allCaughtUp, contents, freshRebuild } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { dataOf } from '../../../api/client';
import { apiOf, type Stack } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { waitFor } from '../../helpers/wait-for';

/**
 * The orders read model's collection fails while the projection's own state (and every other
 * collection) keeps working: the write probe must meet the same failure, so that no good event is
 * taken for a poison one.
 */
const projection = async (stack: Stack, name: string) =>
  (await dataOf(apiOf(stack).GET('/projections'))).projections.find((p) => p.name === name)!;
const openOrderLetters = (stack: Stack) =>
  stack.mongo.db.collection('dead_letters').countDocuments({ source: 'projection', service: 'orders' });
const parkedOrderEvents = (stack: Stack) =>
  stack.mongo.db.collection('parked_events').countDocuments({ instance: /^projection:orders:/ });
const checkpointOfOrders = async (stack: Stack) => {
  const state = await projectionState(stack.mongo.db, 'orders');
  return stack.mongo.db
    .collection<{ _id: string; failures?: number }>('checkpoints')
    .findOne({ _id: `projection:orders:g${state.active}` });
};

describe('a store that fails for one read-model collection', () => {
  const t = useSagaStack({ ...fastSaga, PROJECTION_STALL_AFTER: 3_000 });
  const faults = () => faultsOf(apiOf(t.stack));

  /** Places an order every 500 ms for `ms`; returns their ids. */
  async function placeOrdersFor(ms: number, accountId: string, sku: string): Promise<string[]> {
    const orders: string[] = [];
    const until = Date.now() + ms;
    while (Date.now() < until) {
      orders.push((await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] })).orderId);
      await new Promise((r) => setTimeout(r, 500));
    }
    return orders;
  }

  async function expectRecoveredWithNothingParked(orders: string[], lettersBefore: number) {
    await waitFor(
      'orders to catch up',
      async () => {
        const row = await projection(t.stack, 'orders');
        return row.lagEvents === 0 && row.state === 'running' ? row : undefined;
      },
      60_000,
    );
    expect(await openOrderLetters(t.stack), 'dead letters of the orders projection').toBe(lettersBefore);
    expect(await parkedOrderEvents(t.stack)).toBe(0);
    for (const orderId of orders)
      expect(
        (await apiOf(t.stack).GET('/orders/{orderId}', { params: { path: { orderId } } })).response.status,
        `order ${orderId} is readable`,
      ).toBe(200);
    // The probe left nothing in the read model: it equals a rebuild from the log.
    await allCaughtUp(t.stack);
    const state = await projectionState(t.stack.mongo.db, 'orders');
    expect(await contents(t.stack.mongo.db, ordersProjection, state.active)).toEqual(
      await freshRebuild(t.stack.mongo.db, ordersProjection),
    );
  }

  it('failing for 20 s while orders are placed: nothing is parked, the projection stalls, and every order is readable after the fault clears', async () => {
    const accountId = await t.h.openAccount(1_000_000);
    const sku = t.h.unique('COLL');
    await t.h.stock(sku, 1_000, 100);
    await allCaughtUp(t.stack);
    const lettersBefore = await openOrderLetters(t.stack);

    const fault = await faults().inject('projection:orders', { mode: 'error', collection: 'orders' });
    expect(fault.response.status, JSON.stringify(fault.error)).toBe(200);
    const placing = placeOrdersFor(20_000, accountId, sku);
    const stalled = await waitFor(
      'orders to report stalled on the collection fault',
      async () => {
        const row = await projection(t.stack, 'orders');
        return row.state === 'stalled' && row.lastError ? row : undefined;
      },
      15_000,
    );
    expect(stalled.lastError).toMatch(/projection:orders \(orders\) service unavailable/);
    // The fault is the collection's alone: the projection's own state is still written (its
    // heartbeat), and the other read models keep up.
    const heartbeat = (await projectionState(t.stack.mongo.db, 'orders')).heartbeatAt!;
    await waitFor(
      'the orders projection state to be written during the fault',
      async () => (await projectionState(t.stack.mongo.db, 'orders')).heartbeatAt! > heartbeat,
      5_000,
    );
    expect((await projection(t.stack, 'sales')).state).not.toBe('stalled');
    const orders = await placing;
    expect(await openOrderLetters(t.stack), 'dead letters of the orders projection').toBe(lettersBefore);
    expect(await parkedOrderEvents(t.stack)).toBe(0);
    expect((await faults().clear('projection:orders')).response.status).toBe(204);

    await expectRecoveredWithNothingParked(orders, lettersBefore);
  }, 150_000);

  it('flapping (2 s failing, 2 s working) for 30 s while orders are placed: nothing is parked and every order is readable afterwards', async () => {
    const accountId = await t.h.openAccount(1_000_000);
    const sku = t.h.unique('FLAP');
    await t.h.stock(sku, 1_000, 100);
    await allCaughtUp(t.stack);
    const lettersBefore = await openOrderLetters(t.stack);
    const failuresBefore = (await checkpointOfOrders(t.stack))?.failures ?? 0;

    const fault = await faults().inject('projection:orders', {
      mode: 'error',
      collection: 'orders',
      flap: { failingMs: 2_000, workingMs: 2_000 },
      durationMs: 30_000,
    });
    expect(fault.response.status, JSON.stringify(fault.error)).toBe(200);
    const orders = await placeOrdersFor(30_000, accountId, sku);
    await faults().clear('projection:orders');
    // The flaps did strike the projection's writes.
    expect((await checkpointOfOrders(t.stack))?.failures ?? 0).toBeGreaterThan(failuresBefore);

    await expectRecoveredWithNothingParked(orders, lettersBefore);
  }, 180_000);

  it('refuses a collection fault the service does not have with 422, naming the problem, and injects nothing', async () => {
    const faultsBefore = await faults().listed();
    const unknown = await faults().inject('projection:orders', { mode: 'error', collection: 'levels' });
    expect(unknown.response.status).toBe(422);
    expect(unknown.error?.error.message).toMatch(/orders has no collection levels/);
    const notProjection = await faults().inject('payment', { mode: 'error', collection: 'orders' });
    expect(notProjection.response.status).toBe(422);
    expect(notProjection.error?.error.message).toMatch(/collection/);
    const withStream = await faults().inject('projection:orders', {
      mode: 'error',
      collection: 'orders',
      streamId: 'order-1',
    });
    expect(withStream.response.status).toBe(422);
    expect(withStream.error?.error.message).toMatch(/streamId/);
    expect(await faults().listed()).toEqual(faultsBefore);
  });
});
