import fc from 'fast-check';
import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { checkpointWriter, type CheckpointDocument } from '../../../readside/engine/checkpoints';

type Outcome = 'ok' | 'refused' | 'error';
interface Sent {
  position: number;
  progressAt?: Date;
  answer(outcome: Outcome): void;
}

/** A checkpoints collection whose every updateOne waits until the test answers it. */
function slowCollection() {
  const pending: Sent[] = [];
  const sent: Sent[] = [];
  let maxInFlight = 0;
  const collection = {
    updateOne(_filter: unknown, update: { $set: { position: number; progressAt?: Date } }) {
      return new Promise((resolve, reject) => {
        const entry: Sent = {
          position: update.$set.position,
          ...(update.$set.progressAt && { progressAt: update.$set.progressAt }),
          answer: (outcome) => {
            pending.splice(pending.indexOf(entry), 1);
            if (outcome === 'error') reject(new Error('store down'));
            else resolve({ matchedCount: outcome === 'ok' ? 1 : 0 });
          },
        };
        pending.push(entry);
        sent.push(entry);
        maxInFlight = Math.max(maxInFlight, pending.length);
      });
    },
  };
  return {
    collection: collection as unknown as Collection<CheckpointDocument>,
    pending,
    sent,
    maxInFlight: () => maxInFlight,
  };
}

const settle = () => new Promise((r) => setImmediate(r));

const step = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), advance: fc.integer({ min: 0, max: 5 }), progress: fc.boolean() }),
  // A write may follow an answer within the same turn of the event loop, a few microtasks later:
  // the moment the writer's drain is finishing.
  fc.record({
    kind: fc.constant('answer' as const),
    outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'refused', 'error'),
    thenWriteAfterHops: fc.option(fc.integer({ min: 0, max: 6 })),
  }),
);

describe('checkpoint writer', () => {
  it('keeps one write in flight, sends positions in order, coalesces to the newest, and confirms only what the store accepted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const store = slowCollection();
        let fenced = 0;
        let failed = 0;
        const writer = checkpointWriter(store.collection, () => ({ _id: 'cp' }), 0, {
          fenced: () => fenced++,
          failed: () => failed++,
        });
        let position = 0;
        let accepted = 0;
        let refusals = 0;
        let errors = 0;
        let askedProgress = false;
        for (const s of steps) {
          if (s.kind === 'write') {
            position += s.advance;
            writer.write(position, null, s.progress ? new Date() : undefined);
            askedProgress ||= s.progress;
          } else if (store.pending.length > 0) {
            const first = store.pending[0]!;
            first.answer(s.outcome);
            if (s.outcome === 'ok') accepted = Math.max(accepted, first.position);
            if (s.outcome === 'refused') refusals++;
            if (s.outcome === 'error') errors++;
            if (first.progressAt) askedProgress = false;
            if (s.thenWriteAfterHops !== null) {
              position += 1;
              const at = position;
              let hop: Promise<unknown> = Promise.resolve();
              for (let i = 0; i < s.thenWriteAfterHops; i++) hop = hop.then(() => undefined);
              void hop.then(() => writer.write(at, null));
            }
          }
          await settle();
          expect(writer.written()).toBe(accepted);
          expect(writer.written()).toBeLessThanOrEqual(writer.asked());
        }
        expect(store.maxInFlight()).toBeLessThanOrEqual(1);
        const positions = store.sent.map((x) => x.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        // Whatever is still asked for goes out, and once the store accepts it nothing is left behind.
        while (store.pending.length > 0) {
          const first = store.pending[0]!;
          first.answer('ok');
          accepted = Math.max(accepted, first.position);
          if (first.progressAt) askedProgress = false;
          await settle();
        }
        await writer.settled();
        expect(writer.written()).toBe(accepted);
        expect([fenced, failed]).toEqual([refusals, errors]);
        if (fenced === 0 && failed === 0) {
          expect(writer.written()).toBe(position);
          // A progress stamp is never dropped by coalescing.
          expect(askedProgress).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('after a refusal or a failure, counts the position as unwritten so that it is asked for again', async () => {
    for (const outcome of ['refused', 'error'] as const) {
      const store = slowCollection();
      const events: string[] = [];
      const writer = checkpointWriter(store.collection, () => ({ _id: 'cp' }), 3, {
        fenced: () => events.push('fenced'),
        failed: () => events.push('failed'),
      });
      writer.write(7, null);
      expect(writer.asked()).toBe(7);
      store.pending[0]!.answer(outcome);
      await writer.settled();
      expect(events).toEqual([outcome === 'refused' ? 'fenced' : 'failed']);
      expect(writer.written()).toBe(3);
      expect(writer.asked()).toBe(3);
    }
  });
});
