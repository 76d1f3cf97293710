import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../infra/logger';
import { watchLog } from '../../../readside/engine/log-watcher';
import { CHECKPOINT_MAX_BEHIND, runSubscription } from '../../../readside/engine/runner';
import { freshStore } from '../eventstore/fresh-db';
import { recordingCheckpoints } from './recording-checkpoints';

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
    // Every checkpoint write takes 150 ms; what it confirmed is recorded.
    const { db: slowDb, counted } = recordingCheckpoints(fresh.db, 150);
    const batchSize = 10;
    let worstAhead = 0;
    let handled = 0;
    const subscription = runSubscription(
      {
        name: 'checkpoint-bound',
        handle: async (event) => {
          worstAhead = Math.max(worstAhead, event.position - counted.confirmed);
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
      expect(counted.writes).toBeGreaterThan(1);
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
