import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventStore, StoredEvent } from '../../../eventstore';
import { createLogger } from '../../../infra/logger';
import { watchLog } from '../../../readside/engine/log-watcher';
import { runSubscription } from '../../../readside/engine/runner';
import { freshStore } from '../eventstore/fresh-db';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Two appends can commit out of position order: the one that reserved its position first may
 * insert last. A subscription must still handle the log in position order, and should take the
 * late insert from the change stream when it lands a few milliseconds later, instead of reading
 * the log for it while everything behind it waits.
 */
describe('an append overtaken by later ones', () => {
  it('is handled in position order, taken from the change stream without reading the log', async () => {
    const fresh = await freshStore();
    const log = createLogger('overtaken', 'silent');
    const watcher = watchLog(fresh.db, log);
    let logReads = 0;
    const counted: EventStore = { ...fresh.store, readAll: (q) => (logReads++, fresh.store.readAll(q)) };
    const handled: StoredEvent[] = [];
    // No timer wake-ups during the test: the log may only be read because of an overtaken append.
    const subscription = runSubscription(
      { name: 'overtaken', handle: async (e) => void handled.push(e) },
      { db: fresh.db, store: counted, log, watcher, idlePollMs: 60_000 },
    );
    let delay = 0;
    let reserved = () => {};
    // The slow appender stops between reserving its position and inserting: later appends overtake it.
    const slow = fresh.storeWith({
      faults: {
        afterReserve: () => {
          reserved();
          return sleep(delay);
        },
      },
    });
    try {
      const first = await fresh.store.append('start', [{ type: 'Started', data: {} }], { streamType: 'race' });
      expect(await subscription.caughtUp(first.lastPosition, 10_000)).toBe(true);
      // Starting up reads the log (from the checkpoint) until the subscription first goes idle.
      await sleep(300);
      logReads = 0;
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 5, max: 30 }), fc.integer({ min: 1, max: 4 }), async (ms, overtakers) => {
          round++;
          delay = ms;
          const slowHasReserved = new Promise<void>((resolve) => (reserved = resolve));
          const late = slow.append(`slow-${round}`, [{ type: 'Late', data: { round } }], { streamType: 'race' });
          await slowHasReserved; // the later appends reserve after it
          const early = await Promise.all(
            Array.from({ length: overtakers }, (_, i) =>
              fresh.store.append(`fast-${round}-${i}`, [{ type: 'Early', data: { round, i } }], { streamType: 'race' }),
            ),
          );
          const lateResult = await late;
          const last = Math.max(lateResult.lastPosition, ...early.map((e) => e.lastPosition));
          expect(await subscription.caughtUp(last, 10_000)).toBe(true);
        }),
        { numRuns: 25 },
      );
      const all = await fresh.store.readAll({ fromPosition: 1, limit: 100_000, sealHolesOlderThanMs: 0 });
      const key = (e: StoredEvent) => `${e.position}:${e.metadata.eventId}`;
      expect(handled.map(key)).toEqual(all.events.map(key));
      // Some rounds really were overtaken (a later position inserted before the slow one).
      const overtaken = all.events.filter(
        (e) =>
          e.type === 'Late' &&
          all.events.some(
            (o) =>
              o.type === 'Early' &&
              o.position > e.position &&
              o.data &&
              (o.data as { round: number }).round === (e.data as { round: number }).round,
          ),
      );
      expect(overtaken.length).toBeGreaterThan(10);
      expect(logReads).toBe(0);
    } finally {
      await subscription.stop();
      await watcher.close();
      await fresh.close();
    }
  }, 60_000);
});
