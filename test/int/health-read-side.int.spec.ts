import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../servers/run-command';
import { allCaughtUp, startProjectorProcess } from '../helpers/projections';
import { fastSaga, useSagaStack } from '../helpers/saga';
import { dataOf, type Answer } from '../../api/client';
import { apiOf, http } from '../helpers/stack';
import { faultsOf } from '../helpers/faults';
import { waitFor } from '../helpers/wait-for';
import { checkpointIdOf, projectionState } from '../../readside/projections/generations';

/** Stalled after 2 s without progress here (10 s by default). */
const STALL_AFTER_MS = 2_000;

describe('a stalled projection and the command API', () => {
  // The projector runs as a process of its own, as npm start and docker-compose run it.
  const t = useSagaStack({ ...fastSaga, PROJECTION_STALL_AFTER: STALL_AFTER_MS }, { consumers: false });
  let projector: ChildProcess | undefined;
  afterAll(() => {
    projector?.kill('SIGKILL');
  });

  it('with the orders projection failing: POST /orders is accepted and its saga completes, the API stays ready, the read side and the projector name the stalled projection, and a read-your-writes read answers 503 with Retry-After at once', async () => {
    const healthPort = await freePort();
    projector = await startProjectorProcess(t.stack, {
      PROJECTOR_HEALTH_PORT: String(healthPort),
      PROJECTION_STALL_AFTER: `${STALL_AFTER_MS}ms`,
    });
    // The projector's own health endpoint is no part of the API's contract: raw requests there.
    const projectorHealth = `http://127.0.0.1:${healthPort}`;
    const api = apiOf(t.stack);
    const accountId = await t.h.openAccount(100_000);
    const sku = t.h.unique('READ-SIDE');
    await t.h.stock(sku, 100, 250);
    await allCaughtUp(t.stack);
    expect((await http(projectorHealth, 'GET', '/health/ready')).status).toBe(200);

    await faultsOf(api).inject('projection:orders', { mode: 'error' });
    try {
      const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
      expect((await t.h.result(orderId)).status).toBe('COMPLETED');
      await waitFor(
        'the orders projection to report stalled',
        async () => {
          const rows = (await dataOf(api.GET('/projections'))).projections;
          return rows.find((r) => r.name === 'orders')?.state === 'stalled';
        },
        20_000,
      );

      // The command side needs no projection: still ready, still taking orders.
      const ready = await api.GET('/health/ready');
      expect(ready.response.status, JSON.stringify(ready.error)).toBe(200);
      expect(ready.data).toMatchObject({ ready: true, temporal: 'up', mongodb: 'up' });
      const another = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
      expect((await t.h.result(another.orderId)).status).toBe('COMPLETED');

      // The read side says what is stalled, on the API and on the projector's own health endpoint.
      const readSide = await api.GET('/health/read-side');
      expect(readSide.response.status, JSON.stringify(readSide.data)).toBe(503);
      const readSideBody = readSide.error as Answer<'/health/read-side', 'get', 503>;
      expect(readSideBody.ready).toBe(false);
      expect(readSideBody.stalled.map((s) => s.name)).toEqual(['orders']);
      const own = await http(projectorHealth, 'GET', '/health/ready');
      expect(own.status, own.text).toBe(503);
      expect(own.body.stalled.map((s: { name: string }) => s.name)).toEqual(['orders']);
      expect((await http(projectorHealth, 'GET', '/health')).status).toBe(200);
      expect((await api.GET('/metrics', { parseAs: 'text' })).data).toMatch(
        /projection_state\{projection="orders",state="stalled"\} 1/,
      );

      // Reading one's own write from the stalled read model: told at once, not after waitMs.
      const head = await t.h.store.headPosition();
      const asked = Date.now();
      const read = await api.GET('/orders/{orderId}', {
        params: { path: { orderId }, query: { minPosition: head, waitMs: 20_000 } },
      });
      const tookMs = Date.now() - asked;
      expect(read.response.status, JSON.stringify(read.data)).toBe(503);
      expect(read.error?.error).toMatchObject({
        code: 'read_model_stalled',
        details: { projection: 'orders', minPosition: head },
      });
      expect(read.error?.error.message).toMatch(/orders read model is stalled/);
      expect(Number(read.response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(tookMs).toBeLessThan(3_000);
      // A read model that is not stalled still serves its reads.
      expect(
        (await api.GET('/inventory', { params: { query: { minPosition: head, waitMs: 20_000 } } })).response.status,
      ).toBe(200);
    } finally {
      await faultsOf(api).clear('projection:orders');
    }
    const clearedAt = Date.now();

    // Recovering is progress: the moment its stall is over, the orders view's checkpoint says so.
    // Its checkpoint is lazy, and with the stall's old progress stamp the status would call it
    // stalled again until the next checkpoint write.
    const { active } = await projectionState(t.stack.mongo.db, 'orders');
    const checkpoints = t.stack.mongo.db.collection<{ _id: string; stalledSince?: Date | null; progressAt?: Date }>(
      'checkpoints',
    );
    const checkpoint = () => checkpoints.findOne({ _id: checkpointIdOf('orders', active) });
    let recovered: { stalledSince?: Date | null; progressAt?: Date } | null = null;
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 5))) {
      const doc = await checkpoint();
      if (doc && !doc.stalledSince) {
        recovered = doc;
        break;
      }
    }
    expect(recovered, 'the orders view to recover within 30 s').not.toBeNull();
    expect(recovered!.progressAt!.getTime()).toBeGreaterThanOrEqual(clearedAt);

    // Once the store answers again, the read model catches up and everything is ready again.
    const head = await t.h.store.headPosition();
    await waitFor(
      'the read side to be ready again',
      async () => (await api.GET('/health/read-side')).response.status === 200,
      30_000,
    );
    expect(
      (await api.GET('/orders', { params: { query: { minPosition: head, waitMs: 20_000 } } })).response.status,
    ).toBe(200);
    await waitFor(
      'the projector to be ready again',
      async () => (await http(projectorHealth, 'GET', '/health/ready')).status === 200,
      30_000,
    );
  }, 120_000);
});
