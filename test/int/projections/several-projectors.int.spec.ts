import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import { projections, salesProjection } from '../../../readside/projections';
import { contextFor, projectionState } from '../../../readside/projections/generations';
import { APPLIED_WINDOW } from '../../../readside/projections/types';
import { allCaughtUp, contents, freshRebuild, startProjectorProcess } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { apiOf } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

describe('several projector processes', () => {
  const t = useSagaStack(fastSaga, { consumers: false });

  const holders = async () => {
    const docs = await t.stack.mongo.db
      .collection<{ _id: string; holder: string; epoch: number; expiresAt: Date }>('leases')
      .find()
      .toArray();
    return new Map(
      docs.map((d) => [
        d._id,
        { pid: Number(d.holder.split(':').at(-2)), epoch: d.epoch, live: d.expiresAt.getTime() > Date.now() },
      ]),
    );
  };

  it('3 processes, lease holders SIGKILLed again and again under load: taken over within 5 s, a rebuild respected, every read model equal to a rebuild', async () => {
    const accounts = await Promise.all([1, 2, 3].map(() => t.h.openAccount(1_000_000)));
    const sku = t.h.unique('MULTI');
    await t.h.stock(sku, 10_000, 100);
    const processes: ChildProcess[] = await Promise.all([1, 2, 3].map(() => startProjectorProcess(t.stack)));
    try {
      await waitFor('every projection and the email subscription to have a holder', async () => {
        const h = await holders();
        return projections.every((p) => h.get(`projection:${p.name}`)?.live) && h.get('subscription:email')?.live;
      });

      let writing = true;
      const orders: string[] = [];
      const writer = (async () => {
        let i = 0;
        while (writing) {
          await apiOf(t.stack).POST('/accounts/{id}/deposits', {
            params: { path: { id: accounts[i % 3]! } },
            body: { amount: 1 + (i % 5) },
          });
          if (i % 4 === 0)
            orders.push((await t.h.placeOrder({ accountId: accounts[i % 3]!, items: [{ sku, quantity: 1 }] })).orderId);
          i++;
        }
        return i;
      })();

      const takeovers: number[] = [];
      for (let round = 0; round < 4; round++) {
        await new Promise((r) => setTimeout(r, 1_500));
        if (round === 1)
          expect(
            (await apiOf(t.stack).POST('/projections/{name}/rebuild', { params: { path: { name: 'accounts' } } }))
              .response.status,
          ).toBe(202);
        // Kill whoever holds the sales projection (an $inc read model: the one a double apply would show).
        const before = (await holders()).get('projection:sales')!;
        const victim = processes.find((p) => p.pid === before.pid)!;
        expect(victim, `a process holds sales (pid ${before.pid})`).toBeDefined();
        const killedAt = Date.now();
        victim.kill('SIGKILL');
        // One of the two survivors must take over; the replacement is started only afterwards,
        // so its start-up time is not counted as takeover time.
        await waitFor(
          'another process to take sales over',
          async () => {
            const now = (await holders()).get('projection:sales');
            return now && now.live && now.pid !== before.pid && now.epoch > before.epoch;
          },
          10_000,
        );
        takeovers.push(Date.now() - killedAt);
        processes.splice(processes.indexOf(victim), 1, await startProjectorProcess(t.stack));
      }
      writing = false;
      const writes = await writer;
      expect(writes).toBeGreaterThan(20);
      console.info(`[several projectors] takeovers after SIGKILL: ${takeovers.join(', ')} ms`);
      for (const ms of takeovers) expect(ms).toBeLessThan(5_000);

      for (const orderId of orders) await t.h.result(orderId); // every saga has written all its events
      await waitFor(
        'the rebuild to be swapped in',
        async () => (await projectionState(t.stack.mongo.db, 'accounts')).building === null,
        30_000,
      );
      expect((await projectionState(t.stack.mongo.db, 'accounts')).active).toBeGreaterThan(1);
      await allCaughtUp(t.stack);
      for (const projection of projections) {
        const state = await projectionState(t.stack.mongo.db, projection.name);
        expect(
          await contents(t.stack.mongo.db, projection, state.active),
          `${projection.name} equals a full rebuild`,
        ).toEqual(await freshRebuild(t.stack.mongo.db, projection));
      }
      // Every order's emails went out once, whoever held the email subscription when.
      const emails = await t.stack.mongo.db
        .collection('emails')
        .aggregate([
          { $group: { _id: { orderId: '$orderId', kind: '$kind' }, n: { $sum: 1 } } },
          { $match: { n: { $gt: 1 } } },
        ])
        .toArray();
      expect(emails).toEqual([]);
    } finally {
      for (const p of processes) p.kill('SIGKILL');
    }
  }, 180_000);

  it(`a late write from a holder that lost its lease is refused, even ${APPLIED_WINDOW}+ positions later`, async () => {
    const db = t.stack.mongo.db;
    const generation = 90 + Math.floor(Math.random() * 9);
    const day = '2031-01-01';
    const event = (position: number): StoredEvent =>
      ({
        position,
        streamId: `order-multi-${position}`,
        streamType: 'order',
        version: 3,
        type: 'OrderCompleted',
        data: { orderId: `multi-${position}`, total: 100, items: [{ sku: 'LATE', quantity: 1, unitPrice: 100 }] },
        metadata: { timestamp: new Date(`${day}T12:00:00Z`), eventId: `late-${position}`, correlationId: 'late' },
      }) as unknown as StoredEvent;
    const oldHolder = contextFor(db, salesProjection, generation, 1);
    const newHolder = contextFor(db, salesProjection, generation, 2);
    const count = APPLIED_WINDOW + 100;
    for (let p = 1; p <= count; p++) await salesProjection.apply(event(p), newHolder);
    // The paused old holder wakes up and applies the event it was in the middle of.
    await salesProjection.apply(event(1), oldHolder);
    const byDay = await newHolder.collection('byDay').findOne({ _id: day as never });
    expect(byDay?.orders).toBe(count);
    // Without the epoch, position 1 has left the window of recent positions and would count twice:
    // the fence, not the window, is what makes a takeover after a large batch safe.
    await salesProjection.apply(event(1), newHolder);
    expect((await newHolder.collection('byDay').findOne({ _id: day as never }))?.orders).toBe(count + 1);
    for (const logical of Object.keys(salesProjection.collections))
      await db
        .collection(`rm_sales_${logical}_g${generation}`)
        .drop()
        .catch(() => {});
  });
});
