import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../infra/logger';
import { watchLog } from '../../../readside/engine/log-watcher';
import { CHECKPOINT_MAX_BEHIND, runSubscription } from '../../../readside/engine/runner';
import { freshStore } from '../eventstore/fresh-db';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The checkpoint is written behind the handling, so handling can run ahead of it. How far is what
 * a crash or a takeover redelivers, and the read models' duplicate guard is sized for it: at most
 * CHECKPOINT_MAX_BEHIND positions plus one batch. Here every checkpoint write is slow, and the
 * subscription is fed faster than the writes land.
 */
describe('a subscription whose checkpoint writes are slow', () => {
  it(`never handles more than ${CHECKPOINT_MAX_BEHIND} positions plus one batch beyond the checkpoint the database confirmed`, async () => {
    const fresh = await freshStore();
    const log = createLogger('checkpoint-bound', 'silent');
    const watcher = watchLog(fresh.db, log);
    let confirmed = 0;
    let writes = 0;
    // The checkpoints collection, with every update taking 150 ms and recording what it confirmed.
    const slowDb = new Proxy(fresh.db, {
      get(target, key, receiver) {
        if (key !== 'collection') return Reflect.get(target, key, receiver);
        return (name: string, options?: object) => {
          const collection = target.collection(name, options);
          if (name !== 'checkpoints') return collection;
          return new Proxy(collection, {
            get(c, k, r) {
              if (k !== 'updateOne') return Reflect.get(c, k, r);
              return async (...args: Parameters<Collection['updateOne']>) => {
                await sleep(150);
                const result = await c.updateOne(...args);
                const position = (args[1] as { $set?: { position?: number } }).$set?.position;
                if (typeof position === 'number' && result.matchedCount > 0) {
                  confirmed = Math.max(confirmed, position);
                  writes++;
                }
                return result;
              };
            },
          });
        };
      },
    });
    const batchSize = 10;
    let worstAhead = 0;
    let handled = 0;
    const subscription = runSubscription(
      {
        name: 'checkpoint-bound',
        handle: async (event) => {
          worstAhead = Math.max(worstAhead, event.position - confirmed);
          handled++;
        },
      },
      { db: slowDb, store: fresh.store, log, watcher, batchSize },
    );
    try {
      const total = 400;
      let last = 0;
      for (let i = 0; i < total; i += 20) {
        const appended = await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            fresh.store.append(`bound-${(i + k) % 7}`, [{ type: 'Counted', data: { n: i + k } }], {
              streamType: 'bound',
            }),
          ),
        );
        last = Math.max(last, ...appended.map((a) => a.lastPosition));
      }
      expect(await subscription.caughtUp(last, 60_000)).toBe(true);
      expect(handled).toBe(total);
      // Checkpoints were written along the way, not only at the end.
      expect(writes).toBeGreaterThan(1);
      expect(worstAhead).toBeLessThanOrEqual(CHECKPOINT_MAX_BEHIND + batchSize);
      // …and handling did run ahead of them, which is what the bound is about.
      expect(worstAhead).toBeGreaterThan(batchSize);
    } finally {
      await subscription.stop();
      await watcher.close();
      await fresh.close();
    }
  }, 120_000);
});
