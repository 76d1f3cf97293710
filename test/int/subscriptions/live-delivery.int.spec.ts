import { describe, expect, it } from 'vitest';
import { WrongExpectedVersionError, type StoredEvent } from '../../../eventstore';
import { createLogger } from '../../../infra/logger';
import { watchLog } from '../../../readside/engine/log-watcher';
import { runSubscription } from '../../../readside/engine/runner';
import { freshStore } from '../eventstore/fresh-db';

/**
 * Subscriptions take what the change stream delivered straight from memory when it continues
 * where they stand. That is only right if the stream reports committed inserts and nothing else:
 * an append refused by the version check must never reach a subscription, even for an instant.
 */
describe('live delivery from the change stream', () => {
  it('hands a subscription exactly the log, in position order, while appends race and are refused', async () => {
    const fresh = await freshStore();
    const log = createLogger('live-delivery', 'silent');
    const watcher = watchLog(fresh.db, log);
    const handled: StoredEvent[] = [];
    const subscription = runSubscription(
      { name: 'live-delivery', handle: async (e) => void handled.push(e) },
      { db: fresh.db, store: fresh.store, log, watcher, sealHolesOlderThanMs: 200 },
    );
    try {
      const streams = ['race-a', 'race-b', 'race-c'];
      let refused = 0;
      // Writers that all append at the version they last saw: most attempts lose the race.
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let i = 0; i < 25; i++) {
            const streamId = streams[(writer + i) % streams.length]!;
            const version = (await fresh.store.readStream(streamId)).length;
            try {
              await fresh.store.append(
                streamId,
                [
                  { type: 'Raced', data: { writer, i } },
                  { type: 'RacedToo', data: { writer, i } },
                ],
                { expectedVersion: version, streamType: 'race' },
              );
            } catch (err) {
              if (!(err instanceof WrongExpectedVersionError)) throw err;
              refused++;
            }
          }
        }),
      );
      expect(refused, 'the race refused some appends').toBeGreaterThan(0);
      const all = await fresh.store.readAll({ fromPosition: 1, limit: 100_000, sealHolesOlderThanMs: 0 });
      expect(await subscription.caughtUp(all.nextPosition - 1, 20_000)).toBe(true);
      const key = (e: StoredEvent) => `${e.position}:${e.metadata.eventId}:${e.type}`;
      expect(handled.map(key)).toEqual(all.events.map(key));
    } finally {
      await subscription.stop();
      await watcher.close();
      await fresh.close();
    }
  }, 60_000);
});
