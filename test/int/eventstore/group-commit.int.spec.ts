import fc from 'fast-check';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  WrongExpectedVersionError,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
} from '../../../eventstore';
import { indexedEventStore, twoEventStores } from '../../helpers/event-stores';
import { useMonitoredMongo } from '../../helpers/monitored-mongo';
import { onScratchDb } from '../../helpers/scratch-db';

/** One append of a generated scenario; `twinOf` makes it an exact repeat (same ids) of an earlier one. */
interface Op {
  stream: number;
  events: number;
  expected: ExpectedVersion;
  twinOf: number | null;
  store: number;
}

const opArb = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  events: fc.integer({ min: 1, max: 3 }),
  expected: fc.oneof(
    fc.constant<ExpectedVersion>('any'),
    fc.constant<ExpectedVersion>('no_stream'),
    fc.integer({ min: 0, max: 5 }),
  ),
  twinOf: fc.option(fc.nat(), { nil: null }),
  store: fc.integer({ min: 0, max: 1 }),
});

describe('event store: group commit under concurrency', () => {
  const mongo = useMonitoredMongo();
  const { commands } = mongo;

  it('keeps expected versions and idempotency exact for any mix of concurrent appends, and leaves no position unaccounted for', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 24 }), async (generated) => {
        await onScratchDb(mongo.client, 'gc', async (db) => {
          // Two stores stand for two processes: each coalesces its own appends, the index judges between them.
          const stores: EventStore[] = await twoEventStores(db);
          const streamIds = [0, 1, 2].map((i) => `s${run}-${i}`);
          run++;
          // A twin repeats an earlier op exactly: same stream, events, ids and expectation.
          const ops: Op[] = [];
          generated.forEach((op, i) => {
            if (op.twinOf === null || i === 0) return void ops.push({ ...op, twinOf: null });
            const twin = ops[op.twinOf % i]!;
            const origin = twin.twinOf ?? op.twinOf % i;
            ops.push({ ...ops[origin]!, store: op.store, twinOf: origin });
          });
          const idsOf = (i: number): string[] => {
            const origin = ops[i]!.twinOf ?? i;
            return Array.from({ length: ops[i]!.events }, (_, k) => `op${origin}-e${k}`);
          };
          const settled = await Promise.allSettled(
            ops.map((op, i) =>
              stores[op.store]!.append(
                streamIds[op.stream]!,
                idsOf(i).map((eventId, k) => ({ type: 'E', data: { op: op.twinOf ?? i, k }, eventId })),
                {
                  expectedVersion: op.expected,
                  streamType: 't',
                },
              ),
            ),
          );

          const results = new Map<number, AppendResult>();
          settled.forEach((s, i) => {
            if (s.status === 'fulfilled') {
              results.set(i, s.value);
              return;
            }
            // The only refusal a well-formed append can get is a version conflict, and it names the truth.
            expect(s.reason).toBeInstanceOf(WrongExpectedVersionError);
            expect((s.reason as WrongExpectedVersionError).actual).not.toBe(
              ops[i]!.expected === 'no_stream' ? 0 : ops[i]!.expected,
            );
          });

          for (const [i, r] of results) {
            const op = ops[i]!;
            const first = r.events[0]!.version;
            if (typeof op.expected === 'number') expect(first).toBe(op.expected + 1);
            if (op.expected === 'no_stream') expect(first).toBe(1);
            expect(r.events.map((e) => e.metadata.eventId)).toEqual(idsOf(i));
            expect(r.events.map((e) => e.version)).toEqual(r.events.map((_, k) => first + k));
            expect(r.lastPosition - r.firstPosition).toBe(op.events - 1);
            expect(r.nextExpectedVersion).toBe(first + op.events - 1);
            // Twins that both succeeded got the very same answer.
            const twin = op.twinOf !== null ? results.get(op.twinOf) : undefined;
            if (twin) expect(r.events.map((e) => e.position)).toEqual(twin.events.map((e) => e.position));
          }

          const docs = await db
            .collection('events')
            .find({}, { projection: { _id: 0, streamId: 1, version: 1, position: 1, type: 1, 'metadata.eventId': 1 } })
            .sort({ position: 1 })
            .toArray();
          const real = docs.filter((d) => d.type !== '$gap');
          // Every position handed out is an event or a burned marker, with no sealing: nothing waits on a hole.
          const head =
            (await db.collection<{ _id: string; position: number }>('counters').findOne({ _id: 'events' }))?.position ??
            0;
          expect(docs.map((d) => d.position)).toEqual(Array.from({ length: head }, (_, k) => k + 1));
          // Each stream is 1..n, in position order, and holds exactly the events of the appends that succeeded.
          for (const s of streamIds) {
            const stream = real.filter((d) => d.streamId === s);
            expect(stream.map((d) => d.version)).toEqual(stream.map((_, k) => k + 1));
          }
          const written = new Set<number>();
          for (const i of results.keys()) written.add(ops[i]!.twinOf ?? i);
          const expectedIds = [...written].flatMap((origin) => idsOf(origin)).sort();
          expect(real.map((d) => d.metadata.eventId).sort()).toEqual(expectedIds);
          for (const d of real) {
            const r = [...results.values()].find((x) =>
              x.events.some((e) => e.metadata.eventId === d.metadata.eventId),
            )!;
            expect(r.events.find((e) => e.metadata.eventId === d.metadata.eventId)!.position).toBe(d.position);
          }
        });
      }),
      { numRuns: 40, seed: 20261127 },
    );
  }, 120_000);

  it('looks up ids and the stream head and reserves positions in one round trip before the insert, for an append that expects any version', async () => {
    await onScratchDb(mongo.client, 'gc', async (db) => {
      const order: string[] = [];
      const started = (e: CommandStartedEvent) =>
        e.databaseName === db.databaseName && order.push(`start ${e.commandName}`);
      const succeeded = (e: { databaseName: string; commandName: string }) =>
        e.databaseName === db.databaseName && order.push(`done ${e.commandName}`);
      mongo.client.on('commandStarted', started);
      mongo.client.on('commandSucceeded', succeeded);
      try {
        const store = await indexedEventStore(db);
        await store.readStream('warm-up');
        order.length = 0;
        // As the saga's services append: their own event id, any version, a stream this process has not seen.
        const result = await store.append(
          'payment-o1',
          [{ type: 'PaymentCompleted', data: {}, eventId: 'payment:o1:completed' }],
          { streamType: 'payment' },
        );
        const firstDone = order.findIndex((o) => o.startsWith('done'));
        const before = order.slice(0, firstDone);
        expect(before).toEqual(expect.arrayContaining(['start find', 'start findAndModify']));
        // Only the insert comes after the first answer.
        expect(order.slice(firstDone).filter((o) => o.startsWith('start'))).toEqual(['start insert']);
        expect(result.events[0]).toMatchObject({ version: 1, position: 1 });
      } finally {
        mongo.client.off('commandStarted', started);
        mongo.client.off('commandSucceeded', succeeded);
      }
    });
  });

  it('coalesces concurrent appends of one store into few reservations and inserts', async () => {
    await onScratchDb(mongo.client, 'gc', async (db) => {
      const store = await indexedEventStore(db);
      commands.length = 0;
      const n = 32;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.append(`c-${i}`, [{ type: 'E', data: { i } }], { expectedVersion: 'no_stream', streamType: 't' }),
        ),
      );
      const inserts = commands.filter(
        (c) => c.databaseName === db.databaseName && c.commandName === 'insert' && c.command.insert === 'events',
      );
      const reservations = commands.filter(
        (c) => c.databaseName === db.databaseName && c.commandName === 'findAndModify',
      );
      // Alone, each append is one reservation and one insert: 32 of each.
      expect(inserts.length).toBeLessThanOrEqual(4);
      expect(reservations.length).toBe(inserts.length);
      expect(new Set(results.map((r) => r.firstPosition)).size).toBe(n);
      expect(await db.collection('events').countDocuments({ type: { $ne: '$gap' } })).toBe(n);
    });
  });
});
