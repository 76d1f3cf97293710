import { describe, expect, it } from 'vitest';
import { freshStore } from '../eventstore/fresh-db';

/**
 * The log watcher pulls its change stream with `tryNext` and relies on the server to hold an
 * empty poll open until a write arrives, as a replica set does. That is what makes a read model's
 * lag event-driven instead of poll-interval-driven, and idle watchers free. The test servers (the
 * stand-in's launcher included) must behave that way, or the lag figures describe a server nobody
 * runs.
 */
describe('change-stream polls on the test server', () => {
  it('hold an empty poll open, answer as soon as an insert arrives, and never delay other commands', async () => {
    const fresh = await freshStore();
    const events = fresh.db.collection('held_polls');
    await events.insertOne({ n: 0 });
    const waitMs = 400;
    const streams = Array.from({ length: 6 }, () =>
      events.watch([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: waitMs }),
    );
    try {
      // Open every stream's cursor, then time empty polls.
      const idle = await Promise.all(
        streams.map(async (s) => {
          const at = performance.now();
          const change = await s.tryNext();
          return { change, ms: performance.now() - at };
        }),
      );
      for (const { change, ms } of idle) {
        expect(change).toBeNull();
        expect(ms, 'an empty poll is held for about maxAwaitTimeMS').toBeGreaterThan(waitMs * 0.75);
      }

      // While all six polls are held, other commands go through at once.
      const held = streams.map((s) => s.tryNext());
      await new Promise((r) => setTimeout(r, 50));
      const readAt = performance.now();
      expect(await events.countDocuments({})).toBe(1);
      const readMs = performance.now() - readAt;
      expect(readMs, 'a read during held polls is not queued behind them').toBeLessThan(waitMs / 2);

      // An insert wakes every held poll long before its wait is over.
      const insertAt = performance.now();
      await events.insertOne({ n: 1 });
      const woken = await Promise.all(held.map(async (p) => ({ change: await p, ms: performance.now() - insertAt })));
      for (const { change, ms } of woken) {
        expect((change as { fullDocument?: { n: number } } | null)?.fullDocument?.n).toBe(1);
        expect(ms, 'the insert ended the held poll').toBeLessThan(waitMs / 2);
      }
    } finally {
      await Promise.all(streams.map((s) => s.close()));
      await fresh.close();
    }
  });
});
