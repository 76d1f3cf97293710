import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createInventoryCatalog, type InventoryCatalog } from '../../activities/services';
import { createEventStore, type EventStore } from '../../eventstore';
import type { EventLog } from '../../activities/support';

class Crash extends Error {}

/** Where the process dies: before its event is in the log, or after it is in but before anything else. */
type CrashPoint = 'before the event' | 'after the event';

/** An event log that dies at `point` on its first append (the process is gone: nothing after it runs). */
function dyingLog(store: EventStore, point: CrashPoint): EventLog {
  return {
    async append(streamId, events, options) {
      if (point === 'after the event') await store.append(streamId, events, options);
      throw new Crash(`process died ${point}`);
    },
  };
}

/** How a later process finds what the dead one left pending. */
const recoveries: Record<string, (catalog: InventoryCatalog, sku: string) => Promise<unknown>> = {
  'the next read of the SKU': (catalog, sku) => catalog.get(sku),
  'the next restock of the SKU': (catalog, sku) =>
    catalog.restock({ sku, quantity: 3, price: 7, correlationId: 'later' }),
  'the sweep at start-up': (catalog) => catalog.recoverPendingRestocks(),
};

describe('a restock without an Idempotency-Key that crashes between its stock update and its event', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(inject('mongodbUri'), { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  async function withDb(body: (db: Db, store: EventStore) => Promise<void>): Promise<void> {
    const db = client.db(`restock_${randomUUID().slice(0, 8)}`);
    try {
      const store = createEventStore(db);
      await store.ensureIndexes();
      await body(db, store);
    } finally {
      await db.dropDatabase().catch(() => {});
    }
  }

  /** The stock of a SKU and what its StockAdjusted events add up to, with the restocks they count. */
  async function ledger(store: EventStore, catalog: InventoryCatalog, sku: string) {
    const events = (await store.readStream(`sku-${sku}`)).filter((e) => e.type === 'StockAdjusted');
    return {
      available: (await catalog.get(sku))?.available,
      logged: events.reduce((n, e) => n + (e.data as { quantity: number }).quantity, 0),
      eventIds: events.map((e) => e.metadata.eventId),
    };
  }

  const cases = (['before the event', 'after the event'] as const).flatMap((point) =>
    Object.keys(recoveries).map((recovery) => [point, recovery] as const),
  );

  it.each(cases)(
    'dies %s: %s makes the log and the stock agree, and a repeat never counts twice',
    async (point, recovery) => {
      await withDb(async (db, store) => {
        const sku = 'SKU-CRASH';
        await expect(
          createInventoryCatalog({ db, events: dyingLog(store, point) }).restock({
            sku,
            quantity: 5,
            price: 7,
            correlationId: 'dies',
          }),
        ).rejects.toBeInstanceOf(Crash);

        // A later process (the API restarted, or another replica) with a working log.
        const catalog = createInventoryCatalog({ db, events: store });
        await recoveries[recovery]!(catalog, sku);
        const after = await ledger(store, catalog, sku);
        expect(after.logged, `StockAdjusted events add up to the stock (${after.available} available)`).toBe(
          after.available,
        );
        expect(after.available).toBe(recovery === 'the next restock of the SKU' ? 8 : 5);
        expect(new Set(after.eventIds).size).toBe(after.eventIds.length);

        // Recovering again, in every way, changes nothing.
        for (const again of [recoveries['the next read of the SKU']!, recoveries['the sweep at start-up']!])
          await again(catalog, sku);
        expect(await ledger(store, catalog, sku)).toEqual(after);
        // Nothing is left pending once its event is known to be in the log.
        const doc = await db
          .collection<{ _id: string; outbox?: Record<string, unknown> }>('inventory')
          .findOne({ _id: sku });
        expect(Object.keys(doc?.outbox ?? {})).toEqual([]);
      });
    },
  );

  it('recovers the pending events of every SKU at start-up, and a retried restock with the same id is applied once', async () => {
    await withDb(async (db, store) => {
      const skus = ['SKU-A', 'SKU-B', 'SKU-C'];
      for (const [i, sku] of skus.entries()) {
        await expect(
          createInventoryCatalog({
            db,
            events: dyingLog(store, i % 2 === 0 ? 'before the event' : 'after the event'),
          }).restock({ sku, quantity: 10 + i, price: 1, correlationId: 'dies', restockId: `r-${sku}` }),
        ).rejects.toBeInstanceOf(Crash);
      }
      const catalog = createInventoryCatalog({ db, events: store });
      await catalog.recoverPendingRestocks();
      // The client retries with the same Idempotency-Key: the restock is not applied again and its one event stands.
      const retried = await catalog.restock({
        sku: 'SKU-A',
        quantity: 10,
        price: 1,
        correlationId: 'retry',
        restockId: 'r-SKU-A',
      });
      expect(retried.level.available).toBe(10);
      for (const [i, sku] of skus.entries()) {
        const { available, logged, eventIds } = await ledger(store, catalog, sku);
        expect({ sku, available, logged, events: eventIds.length }).toEqual({
          sku,
          available: 10 + i,
          logged: 10 + i,
          events: 1,
        });
      }
    });
  });
});
