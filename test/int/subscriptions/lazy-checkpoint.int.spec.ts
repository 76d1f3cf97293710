import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../infra/logger';
import { LAZY_CHECKPOINT_MS } from '../../../readside/engine/checkpoints';
import { watchLog } from '../../../readside/engine/log-watcher';
import { CHECKPOINT_MAX_BEHIND, runSubscription } from '../../../readside/engine/runner';
import { waitFor } from '../../helpers/wait-for';
import { freshStore } from '../eventstore/fresh-db';
import { recordingCheckpoints } from './recording-checkpoints';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A subscription whose checkpoint nobody waits for (`checkpoint: 'lazy'`: the email service, the
 * orders view, whose one-document reads answer from the document) writes it with the next urgent
 * write of the process or within LAZY_CHECKPOINT_MS, not after every batch; and it still never
 * runs more than CHECKPOINT_MAX_BEHIND positions plus one batch ahead of it.
 */
describe('a subscription with a lazy checkpoint', () => {
  it(`writes its checkpoint within ${LAZY_CHECKPOINT_MS} ms, not once per event it handled`, async () => {
    const fresh = await freshStore();
    const log = createLogger('lazy-checkpoint', 'silent');
    const watcher = watchLog(fresh.db, log);
    const { db, counted } = recordingCheckpoints(fresh.db);
    const subscription = runSubscription(
      { name: 'lazy', checkpoint: 'lazy', handle: async () => {} },
      { db, store: fresh.store, log, watcher },
    );
    try {
      await waitFor('the subscription started', async () => subscription.position() >= 0);
      const started = Date.now();
      const events = 12;
      let last = 0;
      // One event at a time, each handled (a batch of its own) before the next is appended.
      for (let i = 0; i < events; i++) {
        last = (
          await fresh.store.append(`lazy-${i % 3}`, [{ type: 'Counted', data: { n: i } }], { streamType: 'lazy' })
        ).lastPosition;
        expect(await subscription.caughtUp(last, 10_000)).toBe(true);
      }
      const handledAt = Date.now();
      await waitFor(`the checkpoint at ${last}`, async () => counted.confirmed >= last);
      const elapsed = Date.now() - started;
      // An urgent checkpoint would be one write per event (12); a lazy one, one per LAZY_CHECKPOINT_MS.
      expect(counted.writes).toBeLessThanOrEqual(Math.ceil(elapsed / LAZY_CHECKPOINT_MS) + 1);
      expect(counted.writes).toBeLessThan(events);
      expect(Date.now() - handledAt).toBeLessThanOrEqual(LAZY_CHECKPOINT_MS + 500);
    } finally {
      await subscription.stop();
      await watcher.close();
      await fresh.close();
    }
  }, 60_000);

  it(`never handles more than ${CHECKPOINT_MAX_BEHIND} positions plus one batch beyond its written checkpoint`, async () => {
    const fresh = await freshStore();
    const log = createLogger('lazy-checkpoint', 'silent');
    const watcher = watchLog(fresh.db, log);
    const { db, counted } = recordingCheckpoints(fresh.db);
    const batchSize = 10;
    let worstAhead = 0;
    const subscription = runSubscription(
      {
        name: 'lazy-bound',
        checkpoint: 'lazy',
        handle: async (event) => {
          worstAhead = Math.max(worstAhead, event.position - counted.confirmed);
          // Slow enough that appends outrun it, fast enough that the lazy timer alone would lag far behind.
          await sleep(1);
        },
      },
      { db, store: fresh.store, log, watcher, batchSize },
    );
    try {
      let last = 0;
      for (let i = 0; i < 300; i += 20) {
        const appended = await Promise.all(
          Array.from({ length: 20 }, (_, k) =>
            fresh.store.append(`lazy-bound-${(i + k) % 7}`, [{ type: 'Counted', data: { n: i + k } }], {
              streamType: 'lazy',
            }),
          ),
        );
        last = Math.max(last, ...appended.map((a) => a.lastPosition));
      }
      expect(await subscription.caughtUp(last, 60_000)).toBe(true);
      expect(worstAhead).toBeLessThanOrEqual(CHECKPOINT_MAX_BEHIND + batchSize);
      await waitFor(`the checkpoint at ${last}`, async () => counted.confirmed >= last);
    } finally {
      await subscription.stop();
      await watcher.close();
      await fresh.close();
    }
  }, 120_000);
});
