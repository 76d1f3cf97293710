import fc from 'fast-check';
import type { Collection, Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createEventStore } from '../../../eventstore';
import { freshStore, realEventCount } from './fresh-db';

/**
 * A Db whose event lookups (`find`, `findOne` on `events`) wait while it is holding: one process's
 * stream-head lookup kept in flight while another process appends. Everything else goes through.
 */
function holdingLookups(db: Db) {
  let gate: Promise<void> | null = null;
  let open = () => {};
  let held = 0;
  const hold = <T>(run: () => Promise<T>): Promise<T> => {
    const waiting = gate;
    if (!waiting) return run();
    held++;
    return waiting.then(run);
  };
  const events = (collection: Collection) =>
    new Proxy(collection, {
      get(target, prop) {
        if (prop === 'find')
          return (...args: Parameters<Collection['find']>) => ({
            toArray: () => hold(() => target.find(...args).toArray()),
          });
        if (prop === 'findOne')
          return (...args: Parameters<Collection['findOne']>) => hold(() => target.findOne(...args));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'collection')
        return (name: string, options?: object) =>
          name === 'events' ? events(target.collection(name, options)) : target.collection(name, options);
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    db: proxy,
    hold() {
      held = 0;
      gate = new Promise((resolve) => (open = resolve));
    },
    held: () => held,
    release() {
      gate = null;
      open();
    },
  };
}

const ev = (n: number) => Array.from({ length: n }, (_, k) => ({ type: 'Changed', data: { k } }));

describe('a group that reserves its positions alongside the stream-head lookup', () => {
  it('never writes an event below the position of an event the lookup found: another process may reserve later and commit first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (first, held, overtaking) => {
          const fresh = await freshStore();
          try {
            const other = fresh.store;
            const gated = holdingLookups(fresh.db);
            const store = createEventStore(gated.db);
            await other.append('s', ev(first), { streamType: 'test' });
            const counter = fresh.db.collection<{ _id: string; position: number }>('counters');
            const before = (await counter.findOne({ _id: 'events' }))!.position;

            // This process has never seen the stream: its append expects any version, so it reserves
            // while it looks the head up. The lookup is held until the other process has appended.
            gated.hold();
            const appending = store.append('s', ev(held), { streamType: 'test' });
            await expect
              .poll(async () => (await counter.findOne({ _id: 'events' }))!.position, { timeout: 5_000 })
              .toBe(before + held);
            expect(gated.held()).toBeGreaterThan(0);
            await other.append('s', ev(overtaking), { streamType: 'test' });
            gated.release();
            const appended = await appending;

            const stream = await other.readStream('s');
            expect(stream.map((e) => e.version)).toEqual(stream.map((_, i) => i + 1));
            expect(stream).toHaveLength(first + held + overtaking);
            for (let i = 1; i < stream.length; i++)
              expect(stream[i]!.position, `version ${i + 1} after version ${i}`).toBeGreaterThan(
                stream[i - 1]!.position,
              );
            expect(appended.events.map((e) => e.version)).toEqual(stream.slice(-held).map((e) => e.version));
            // Every reserved position is an event or a burned marker: nothing is left for the sealer.
            const head = await other.headPosition();
            expect(await fresh.db.collection('events').countDocuments({ position: { $lte: head } })).toBe(head);
            expect(await realEventCount(fresh.db)).toBe(first + held + overtaking);
          } finally {
            await fresh.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
