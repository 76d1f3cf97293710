import fc from 'fast-check';
import { MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventStore,
  type AppendResult,
  type EventDocument,
  type EventStore,
  type EventStoreOptions,
  type StoredEvent,
} from '../../../eventstore';
import { createLogger } from '../../../infra/logger';
import { runSubscription } from '../../../readside/engine/runner';
import { freshStore, realEventCount, type FreshStore } from './fresh-db';

/** A failure the unique indexes have nothing to do with: the server refused the write for another reason. */
class InjectedFailure extends MongoServerError {
  constructor() {
    super({
      message: 'Document failed validation (injected)',
      errmsg: 'Document failed validation (injected)',
      code: 121,
    });
  }
}

/**
 * A Db whose next insert of events carrying a given stream writes its first `written` documents
 * and then fails with a non-duplicate error, as an ordered insert stopped by the server would.
 * Every other write (gap markers, batch completion) goes through untouched.
 */
function failingInserts(db: Db) {
  let armed: { streamId: string; written: number } | null = null;
  let failedCall: EventDocument[] | null = null;
  const strike = (docs: readonly Document[]): number | null => {
    if (!armed || !docs.some((d) => d.streamId === armed!.streamId)) return null;
    const { written } = armed;
    armed = null;
    failedCall = docs as EventDocument[];
    return written;
  };
  const events = (collection: Collection) =>
    new Proxy(collection, {
      get(target, prop) {
        if (prop === 'insertMany') {
          return async (docs: Document[], options?: Parameters<Collection['insertMany']>[1]) => {
            const written = strike(docs);
            if (written === null) return target.insertMany(docs, options);
            if (written > 0) await target.insertMany(docs.slice(0, written), options);
            throw new InjectedFailure();
          };
        }
        if (prop === 'insertOne') {
          return async (doc: Document, options?: Parameters<Collection['insertOne']>[1]) => {
            if (strike([doc]) === null) return target.insertOne(doc, options);
            throw new InjectedFailure();
          };
        }
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
    /** The next insert that carries an event of `streamId` writes `written` documents, then fails. */
    failNextInsertOf(streamId: string, written: number) {
      armed = { streamId, written };
    },
    /** The documents of the insert that failed. */
    failedCall: () => failedCall,
  };
}

/** Every position up to the head holds an event or a gap marker: nothing waits on the hole sealer. */
async function expectNoHole(fresh: FreshStore): Promise<void> {
  const head = await fresh.store.headPosition();
  expect(
    await fresh.db.collection('events').countDocuments({ position: { $lte: head } }),
    `positions 1..${head} all filled`,
  ).toBe(head);
  expect((await fresh.store.readAll({ fromPosition: 1, limit: 100_000 })).hole).toBeNull();
}

const ev = (n: number, tag: string) => Array.from({ length: n }, (_, k) => ({ type: 'Changed', data: { tag, k } }));

/** How long a hole is left before a subscription seals it (the runner's default). */
const SEALER_MS = 5_000;
/** What "within the usual lag" means here: far below the sealer's timeout, with room for a busy 2-core machine. */
const USUAL_LAG_MS = 1_000;

const modes: Array<[string, EventStoreOptions]> = [
  ['in a group commit', {}],
  // A store with fault hooks writes each append alone (append.ts): the same promise holds there.
  ['in a lone append', { faults: {} }],
];

describe.each(modes)('an insert that fails with a non-duplicate error %s', (_mode, options) => {
  let fresh: FreshStore;
  let failing: ReturnType<typeof failingInserts>;
  let store: EventStore;
  beforeEach(async () => {
    fresh = await freshStore();
    failing = failingInserts(fresh.db);
    store = createEventStore(failing.db, options);
  });
  afterEach(async () => {
    await fresh?.close();
  });

  /** Runs a subscription (sealing holes after SEALER_MS) over the log while `body` runs. */
  async function withSubscription(
    body: (handledAt: Map<number, number>, caughtUp: (position: number) => Promise<boolean>) => Promise<void>,
  ): Promise<void> {
    const handledAt = new Map<number, number>();
    const subscription = runSubscription(
      { name: 'failed-insert', handle: async (e: StoredEvent) => void handledAt.set(e.position, Date.now()) },
      {
        db: fresh.db,
        store: fresh.store,
        log: createLogger('failed-insert', 'silent'),
        sealHolesOlderThanMs: SEALER_MS,
      },
    );
    try {
      await body(handledAt, (position) => subscription.caughtUp(position, 3 * SEALER_MS));
    } finally {
      await subscription.stop();
    }
  }

  it('gives back every position of an append it wrote nothing of, so subscriptions deliver the next event within the usual lag', async () => {
    await withSubscription(async (handledAt, caughtUp) => {
      const warm = await store.append('before', ev(1, 'warm'), { streamType: 'test' });
      expect(await caughtUp(warm.lastPosition)).toBe(true);

      failing.failNextInsertOf('victim', 0);
      await expect(store.append('victim', ev(3, 'lost'), { streamType: 'test' })).rejects.toBeInstanceOf(
        InjectedFailure,
      );
      const appendedAt = Date.now();
      const next = await store.append('after', ev(1, 'next'), { streamType: 'test' });
      expect(await caughtUp(next.lastPosition)).toBe(true);
      const lag = handledAt.get(next.lastPosition)! - appendedAt;
      expect(
        lag,
        `the event after the failed insert was handled ${lag} ms after its append began (the sealer waits ${SEALER_MS} ms)`,
      ).toBeLessThan(USUAL_LAG_MS);
      expect(await store.readStream('victim')).toEqual([]);
      // Given back, not sealed: the positions are burned markers from the moment the append failed.
      const gaps = await fresh.db.collection('events').find({ type: '$gap' }).toArray();
      expect(gaps.map((g) => g.data)).toEqual([0, 1, 2].map(() => ({ reason: 'burned', cause: 'failed_insert' })));
      await expectNoHole(fresh);
    });
  }, 60_000);

  it('finishes an append whose insert failed part-way through its batch, burning none of its positions', async () => {
    for (const written of [1, 2]) {
      await withSubscription(async (handledAt, caughtUp) => {
        const stream = `half-${written}`;
        failing.failNextInsertOf(stream, written);
        // The first event is the batch's commit point: once it is in, the append is committed.
        const result = await store.append(stream, ev(3, stream), { streamType: 'test' });
        const events = await store.readStream(stream);
        expect(events.map((e) => [e.version, e.position])).toEqual(result.events.map((e) => [e.version, e.position]));
        expect(events.map((e) => (e.data as { k: number }).k)).toEqual([0, 1, 2]);
        await expectNoHole(fresh);
        expect((await fresh.store.readAll({ fromPosition: 1, limit: 100_000 })).gaps).toEqual([]);

        const appendedAt = Date.now();
        const next = await store.append(`after-${written}`, ev(1, 'next'), { streamType: 'test' });
        expect(await caughtUp(next.lastPosition)).toBe(true);
        const lag = handledAt.get(next.lastPosition)! - appendedAt;
        expect(lag, `handled ${lag} ms after its append began (the sealer waits ${SEALER_MS} ms)`).toBeLessThan(
          USUAL_LAG_MS,
        );
      });
    }
  }, 60_000);
});

describe('a group whose ordered insert fails part-way with a non-duplicate error', () => {
  it('commits exactly the appends whose first event got in, fails the others with nothing written, and leaves no hole', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Appends of the group: which of three streams, how many events; and where the insert stops.
        fc.array(fc.record({ stream: fc.integer({ min: 0, max: 2 }), events: fc.integer({ min: 1, max: 3 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(),
        async (ops, stopAt) => {
          const fresh = await freshStore();
          try {
            const failing = failingInserts(fresh.db);
            const store = createEventStore(failing.db);
            await store.ensureIndexes();
            // Two groups go in flight at once; the appends submitted meanwhile form the next group together.
            const leaders = ['lead-a', 'lead-b'].map((s) => store.append(s, ev(1, s), { streamType: 'test' }));
            const total = ops.reduce((n, op) => n + op.events, 0);
            failing.failNextInsertOf(`g-${ops[0]!.stream}`, stopAt % (total + 1));
            const settled = await Promise.allSettled(
              ops.map((op, i) => store.append(`g-${op.stream}`, ev(op.events, `op${i}`), { streamType: 'test' })),
            );
            await Promise.all(leaders);

            const call = failing.failedCall();
            expect(call, 'the injected failure struck').not.toBeNull();
            const written = new Set(call!.slice(0, stopAt % (total + 1)).map((d) => d.metadata.eventId));
            for (const [i, s] of settled.entries()) {
              const tag = `op${i}`;
              const inLog = (
                await fresh.db.collection<EventDocument>('events').find({ 'data.tag': tag }).toArray()
              ).sort((a, b) => a.version - b.version);
              if (s.status === 'fulfilled') {
                // Committed: every event is in the log, where the result says.
                const result: AppendResult = s.value;
                expect(inLog.map((d) => d.position)).toEqual(result.events.map((e) => e.position));
                expect(inLog.map((d) => (d.data as { k: number }).k)).toEqual(
                  Array.from({ length: ops[i]!.events }, (_, k) => k),
                );
              } else {
                // Failed: it was in the failed call, its first event never got in, and nothing of it is in the log.
                expect(s.reason).toBeInstanceOf(InjectedFailure);
                expect(call!.some((d) => (d.data as { tag: string }).tag === tag)).toBe(true);
                expect(inLog).toEqual([]);
              }
              const first = call!.find((d) => (d.data as { tag: string }).tag === tag);
              if (first && written.has(first.metadata.eventId))
                expect(s.status, `${tag} had its first event written`).toBe('fulfilled');
            }
            await expectNoHole(fresh);
            for (const stream of [0, 1, 2]) {
              const events = await fresh.store.readStream(`g-${stream}`);
              expect(events.map((e) => e.version)).toEqual(events.map((_, k) => k + 1));
            }
            expect(await realEventCount(fresh.db)).toBe(
              2 + settled.reduce((n, s, i) => n + (s.status === 'fulfilled' ? ops[i]!.events : 0), 0),
            );
          } finally {
            await fresh.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
