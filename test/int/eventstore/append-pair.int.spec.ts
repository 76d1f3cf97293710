import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LeaderNotWrittenError,
  WrongExpectedVersionError,
  type EventStore,
  type ExpectedVersion,
} from '../../../eventstore';
import { indexedEventStore, twoEventStores } from '../../helpers/event-stores';
import { useMonitoredMongo } from '../../helpers/monitored-mongo';
import { onScratchDb } from '../../helpers/scratch-db';

/** One generated write: a pair (leader on `stream`, follower on `followerStream`) or a lone append. */
interface Op {
  pair: boolean;
  stream: number;
  followerStream: number;
  expected: ExpectedVersion;
  followerExpected: ExpectedVersion;
  store: number;
  /** Repeats an earlier op's leader exactly (same ids), as a retried activity does. */
  repeatOf: number | null;
}

const expectedArb = fc.oneof(
  fc.constant<ExpectedVersion>('any'),
  fc.constant<ExpectedVersion>('no_stream'),
  fc.integer({ min: 0, max: 4 }),
);

const opArb = fc.record({
  pair: fc.boolean(),
  stream: fc.integer({ min: 0, max: 1 }),
  followerStream: fc.integer({ min: 2, max: 3 }),
  expected: expectedArb,
  followerExpected: expectedArb,
  store: fc.integer({ min: 0, max: 1 }),
  repeatOf: fc.option(fc.nat(), { nil: null, freq: 4 }),
});

describe('event store: an append that follows another', () => {
  const mongo = useMonitoredMongo();
  const { commands } = mongo;

  it('is never written without the append it follows, whatever the concurrent appends, versions and repeats', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 20 }), async (generated) => {
        await onScratchDb(mongo.client, 'pair', async (db) => {
          // Two stores stand for two processes: each groups its own appends, the indexes judge between them.
          const stores: EventStore[] = await twoEventStores(db);
          const streams = [0, 1, 2, 3].map((i) => `p${run}-${i}`);
          run++;
          const ops: Op[] = generated.map((op, i) => {
            if (op.repeatOf === null || i === 0) return { ...op, repeatOf: null };
            const origin = generated[op.repeatOf % i]!;
            return { ...op, stream: origin.stream, expected: origin.expected, repeatOf: op.repeatOf % i };
          });
          const leaderId = (i: number) => `lead-${ops[i]!.repeatOf ?? i}`;
          const outcomes = await Promise.all(
            ops.map(async (op, i) => {
              const store = stores[op.store]!;
              const lead = {
                streamId: streams[op.stream]!,
                events: [{ type: 'Lead', data: { i }, eventId: leaderId(i) }],
                options: { streamType: 't', expectedVersion: op.expected },
              };
              if (!op.pair) {
                const r = await store.append(lead.streamId, lead.events, lead.options).then(
                  () => 'written' as const,
                  (err: unknown) => err,
                );
                return { lead: r, follow: null };
              }
              const pair = store.appendPair(lead, {
                streamId: streams[op.followerStream]!,
                events: [{ type: 'Follow', data: { i }, eventId: `follow-${i}` }],
                options: { streamType: 't', expectedVersion: op.followerExpected },
              });
              const [l, f] = await Promise.allSettled([pair.first, pair.second]);
              return {
                lead: l.status === 'fulfilled' ? ('written' as const) : (l.reason as unknown),
                follow: f.status === 'fulfilled' ? ('written' as const) : (f.reason as unknown),
              };
            }),
          );

          const docs = await db
            .collection('events')
            .find({}, { projection: { _id: 0, streamId: 1, version: 1, position: 1, type: 1, 'metadata.eventId': 1 } })
            .sort({ position: 1 })
            .toArray();
          const ids = new Set(docs.map((d) => (d.metadata as { eventId: string } | undefined)?.eventId));
          outcomes.forEach((o, i) => {
            const leadInLog = ids.has(leaderId(i));
            if (o.lead === 'written') expect(leadInLog).toBe(true);
            else expect(o.lead).toBeInstanceOf(WrongExpectedVersionError);
            if (o.follow === null) return;
            const followInLog = ids.has(`follow-${i}`);
            // The promise: a follower in the log means its leader is in the log.
            if (followInLog) expect(leadInLog).toBe(true);
            if (o.follow === 'written') expect(followInLog).toBe(true);
            else {
              expect(followInLog).toBe(false);
              // Refused on its own version, or, once its leader failed, for its leader (whichever was judged first).
              if (o.lead === 'written') expect(o.follow).toBeInstanceOf(WrongExpectedVersionError);
              else expect([LeaderNotWrittenError, WrongExpectedVersionError]).toContain(o.follow?.constructor);
            }
          });
          // Every position handed out is an event or a burned marker: nothing waits on a hole.
          const head =
            (await db.collection<{ _id: string; position: number }>('counters').findOne({ _id: 'events' }))?.position ??
            0;
          expect(docs.map((d) => d.position)).toEqual(Array.from({ length: head }, (_, k) => k + 1));
          for (const s of streams) {
            const stream = docs.filter((d) => d.streamId === s);
            expect(stream.map((d) => d.version)).toEqual(stream.map((_, k) => k + 1));
          }
        });
      }),
      { numRuns: 40, seed: 20261205 },
    );
  }, 180_000);

  it('writes a pair on streams this process knows with one reservation and one insert', async () => {
    await onScratchDb(mongo.client, 'pair', async (db) => {
      const store = await indexedEventStore(db);
      await store.append('account-a', [{ type: 'Opened', data: {} }], {
        streamType: 'account',
        expectedVersion: 'no_stream',
      });
      commands.length = 0;
      const pair = store.appendPair(
        {
          streamId: 'account-a',
          events: [{ type: 'Withdrawn', data: {}, eventId: 'debit-o1' }],
          options: { streamType: 'account', expectedVersion: 1 },
        },
        {
          streamId: 'payment-o1',
          events: [{ type: 'PaymentCompleted', data: {}, eventId: 'completed-o1' }],
          options: { streamType: 'payment', expectedVersion: 'no_stream' },
        },
      );
      const [debit, completed] = await Promise.all([pair.first, pair.second]);
      expect(completed.firstPosition).toBe(debit.lastPosition + 1);
      const mine = commands.filter((c) => c.databaseName === db.databaseName).map((c) => c.commandName);
      expect(mine).toEqual(['findAndModify', 'insert']);
    });
  });

  it('refuses the follower of a leader refused on insert, with the leader named, and writes nothing of it', async () => {
    await onScratchDb(mongo.client, 'pair', async (db) => {
      // This process knows account-b at version 1; another process moves it on behind its back.
      const [mine, other] = await twoEventStores(db);
      await mine.append('account-b', [{ type: 'Opened', data: {} }], {
        streamType: 'account',
        expectedVersion: 'no_stream',
      });
      await other.append('account-b', [{ type: 'Deposited', data: {} }], { streamType: 'account', expectedVersion: 1 });
      const pair = mine.appendPair(
        {
          streamId: 'account-b',
          events: [{ type: 'Withdrawn', data: {}, eventId: 'debit-o2' }],
          options: { streamType: 'account', expectedVersion: 1 },
        },
        {
          streamId: 'payment-o2',
          events: [{ type: 'PaymentCompleted', data: {}, eventId: 'completed-o2' }],
          options: { streamType: 'payment', expectedVersion: 'no_stream' },
        },
      );
      const [lead, follow] = await Promise.allSettled([pair.first, pair.second]);
      expect(lead.status === 'rejected' && lead.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(follow.status === 'rejected' && follow.reason).toBeInstanceOf(LeaderNotWrittenError);
      expect((follow as PromiseRejectedResult).reason).toMatchObject({ leaderStreamId: 'account-b' });
      expect(await mine.readStream('payment-o2')).toEqual([]);
    });
  });
});
