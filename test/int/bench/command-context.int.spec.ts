import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTIVITY_STEPS } from '../../../domain/orders/steps';
import { createCommandCounter } from '../../../bench/lib/command-count';
import { withCommandMonitoring } from '../../../bench/lib/stack';

/**
 * What the bench's split per step rests on: the driver starts a command in the async context of
 * the code that asked for it, whatever it waited for on the way (a pooled connection another
 * caller held, a cursor's next batch).
 */
describe('MongoDB command monitor and async context', () => {
  const steps = new AsyncLocalStorage<string>();
  const counter = createCommandCounter();
  let client: MongoClient;

  beforeAll(async () => {
    // One connection: every caller but one waits for it, and gets it from another's check-in.
    client = new MongoClient(withCommandMonitoring(inject('mongodbUri')), {
      serverSelectionTimeoutMS: 5_000,
      maxPoolSize: 1,
    });
    counter.watch('worker', client, () => steps.getStore());
    await client.connect();
  });
  afterAll(() => client?.close());

  it('turns the monitor on through the connection string', () => {
    expect(client.options.monitorCommands).toBe(true);
  });

  it('credits every command to the context that started it, with callers queued for one connection', async () => {
    const db = client.db(`bench_commands_${randomUUID().slice(0, 8)}`);
    const names = ACTIVITY_STEPS;
    const before = counter.snapshot();
    await Promise.all(
      names.map((step) =>
        steps.run(step, async () => {
          const c = db.collection<{ _id: string; n: number }>(step);
          await c.insertMany(Array.from({ length: 5 }, (_, n) => ({ _id: `${step}-${n}`, n })));
          await c.findOneAndUpdate({ _id: `${step}-0` }, { $inc: { n: 1 } });
          // A batch size of 2: the find and two getMores.
          expect(await c.find({}, { batchSize: 2 }).toArray()).toHaveLength(5);
        }),
      ),
    );
    const after = counter.snapshot().worker!;
    for (const step of names) {
      const own = after[step]!.own;
      const earlier = before.worker?.[step]?.own ?? { reads: 0, writes: 0, other: 0 };
      expect({ step, reads: own.reads - earlier.reads, writes: own.writes - earlier.writes }).toEqual({
        step,
        reads: 3,
        writes: 2,
      });
    }
    await db.dropDatabase();
  });
});
