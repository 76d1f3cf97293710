import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { ChangeStream, Db } from 'mongodb';
import { createLogger } from '../../../infra/logger';
import { watchLog } from '../../../readside/engine/log-watcher';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';
import { waitFor } from '../../helpers/wait-for';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until what is unreachable is gone (a WeakRef holds its target to the end of the current job). */
async function collect() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The events collection of `db` as the log watcher uses it (`watch` only), with a weak reference
 * kept to every document the change stream hands over: what is still alive after a collection is
 * what the watcher keeps.
 */
function spiedEvents(db: Db, documents: Array<WeakRef<object>>): Db {
  return {
    collection: (name: string) => ({
      watch: (...args: Parameters<ReturnType<Db['collection']>['watch']>) => {
        const stream: ChangeStream = db.collection(name).watch(...args);
        const tryNext = stream.tryNext.bind(stream);
        stream.tryNext = async () => {
          const change = await tryNext();
          const document = (change as { fullDocument?: object } | null)?.fullDocument;
          if (document) documents.push(new WeakRef(document));
          return change;
        };
        return stream;
      },
    }),
  } as unknown as Db;
}

const append = (fresh: FreshStore, n: number) =>
  fresh.store.append(`memory-${n % 5}`, [{ type: 'Counted', data: { n } }], { streamType: 'memory' });

/**
 * Appends until the watcher has seen an append (a change stream sees nothing written before its
 * first poll), then `count` more; the first position seen and the last appended.
 */
async function appendSeen(fresh: FreshStore, watcher: ReturnType<typeof watchLog>, count: number) {
  const { first } = await waitFor('the change stream open', async () => {
    await append(fresh, 0);
    const highest = watcher.highest();
    return highest !== Infinity && { first: highest };
  });
  let last = first;
  for (let n = 1; n <= count; n++) last = (await append(fresh, n)).lastPosition;
  await waitFor('every event seen', () => watcher.highest() === last, 30_000);
  return { first, last };
}

/**
 * The log watcher keeps recent events so that subscriptions near the head take them from memory.
 * What it keeps must be the events, bounded in number, and not the driver's documents: each
 * document's `_id` is an ObjectId whose 12 bytes are a slice of one of Node's shared 8 KiB
 * buffer-pool slabs, so a kept document can keep a whole slab: about 8 KiB per event under load,
 * where the event itself takes about 1 KiB.
 */
describe('the log watcher’s memory', () => {
  it('keeps none of the documents the change stream delivered, only the events', async () => {
    const fresh = await freshStore();
    const documents: Array<WeakRef<object>> = [];
    const watcher = watchLog(spiedEvents(fresh.db, documents), createLogger('t', 'silent'));
    try {
      const { first, last } = await appendSeen(fresh, watcher, 300);

      const seen = watcher.seen(first, 1_000);
      expect(seen.events, 'every event is still served from memory').toHaveLength(last - first + 1);
      expect(seen.events.every((e) => !('_id' in e))).toBe(true);
      expect(documents.length).toBeGreaterThanOrEqual(300);
      await collect();
      const alive = documents.filter((d) => d.deref() !== undefined).length;
      expect(alive, 'change-stream documents still reachable after a collection').toBeLessThanOrEqual(2);
    } finally {
      await watcher.close();
      await fresh.close();
    }
  }, 120_000);

  it('keeps at most `keep` events: the oldest go, the newest are served', async () => {
    const fresh = await freshStore();
    const keep = 50;
    const watcher = watchLog(fresh.db, createLogger('t', 'silent'), { keep });
    try {
      const { first, last } = await appendSeen(fresh, watcher, keep * 3);
      expect(watcher.seen(first, 1_000).events, 'the oldest are gone').toHaveLength(0);
      const newest = watcher.seen(last - keep + 1, 1_000);
      expect(newest.events.map((e) => e.position)).toEqual(Array.from({ length: keep }, (_, i) => last - keep + 1 + i));
      expect(watcher.seen(last - keep, 1_000).events, 'one more than kept').toHaveLength(0);
    } finally {
      await watcher.close();
      await fresh.close();
    }
  }, 120_000);
});
