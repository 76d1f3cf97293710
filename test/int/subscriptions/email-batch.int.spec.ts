import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Db } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER_SETTINGS } from '../../../domain/breakers';
import type { StoredEvent } from '../../../eventstore';
import { createEventStore } from '../../../eventstore';
import { createBreakers, type Breakers } from '../../../infra/breakers';
import { emailCollection, emailSubscription } from '../../../readside/email/subscription';
import { countFromNow, useMonitoredMongo } from '../../helpers/monitored-mongo';

/**
 * The Email service sends a batch of events' emails in one insert while its breaker lets them all
 * go: every email of the batch goes out once, whichever of them went out before (a redelivered
 * batch), in one command. While the breaker is open, or holds back the batch after a close, the
 * batch sends nothing and throws, so the runner sends its emails one by one through the breaker.
 */
describe('the Email service sends a batch in one call', () => {
  const t = useMonitoredMongo();
  const made: Array<{ db: Db; breakers: Breakers }> = [];
  afterEach(async () => {
    for (const { db, breakers } of made.splice(0)) {
      await breakers.stop();
      await db.dropDatabase().catch(() => {});
    }
  });

  async function setup() {
    const db = t.client.db(`email_batch_${randomUUID().slice(0, 8)}`);
    const store = createEventStore(db);
    await store.ensureIndexes();
    const breakers = createBreakers({ db, store, settings: DEFAULT_BREAKER_SETTINGS });
    made.push({ db, breakers });
    const subscription = emailSubscription({ db, breakers });
    /** The inserts into `emails` sent from here on. */
    const inserts = () =>
      countFromNow(
        t,
        (e) =>
          e.databaseName === db.databaseName &&
          e.commandName === 'insert' &&
          (e.command as { insert?: string }).insert === 'emails',
      );
    return { db, breakers, subscription, inserts };
  }

  let position = 0;
  /** An order event as the log delivers it; `type` decides whether it sends an email. */
  const event = (type: string, orderId: string, at = new Date()): StoredEvent => ({
    streamId: `order-${orderId}`,
    streamType: 'order',
    version: 1,
    position: ++position,
    type,
    data: { orderId, customerId: 'pd1.key.sealed', total: 1_000, items: [] },
    metadata: { eventId: randomUUID(), timestamp: at, correlationId: orderId, causationId: null },
  });
  const types = ['OrderCreated', 'OrderCompleted', 'OrderCancelled', 'PaymentCompleted', 'OrderApproved'];
  const notifies = (e: StoredEvent) => ['OrderCreated', 'OrderCompleted', 'OrderCancelled'].includes(e.type);

  it('sends every email of a batch once, in one insert, whichever of them were sent before', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ type: fc.constantFrom(...types), sentBefore: fc.boolean() }), {
          minLength: 2,
          maxLength: 12,
        }),
        async (plan) => {
          const { db, subscription, inserts } = await setup();
          const events = plan.map((p) => event(p.type, randomUUID()));
          // A batch delivered again after a crash: some of its emails went out the first time.
          for (const [i, e] of events.entries()) if (plan[i]!.sentBefore && notifies(e)) await subscription.handle(e);
          const count = inserts();
          await subscription.handleMany!(events);
          const wanted = events.filter(notifies);
          expect(count(), 'one insert for the batch, none when it sends nothing').toBe(wanted.length > 0 ? 1 : 0);
          const sent = await emailCollection(db).find().toArray();
          expect(sent.map((m) => m._id).sort()).toEqual(wanted.map((e) => e.metadata.eventId).sort());
        },
      ),
      { numRuns: 12 },
    );
  });

  it('sends nothing and throws while the breaker is open, so that each email goes through the breaker alone', async () => {
    const { db, breakers, subscription, inserts } = await setup();
    await breakers.set('email', 'open', 'provider maintenance (test)', 'test-key');
    const count = inserts();
    await expect(
      subscription.handleMany!([event('OrderCreated', 'o-1'), event('OrderCompleted', 'o-1')]),
    ).rejects.toThrow(/one by one/);
    expect(count()).toBe(0);
    expect(await emailCollection(db).countDocuments()).toBe(0);
  });

  it('sends nothing and throws for a batch the last close holds back, to be paced one by one', async () => {
    const { db, breakers, subscription, inserts } = await setup();
    const before = new Date(Date.now() - 60_000);
    await breakers.set('email', 'open', 'provider maintenance (test)', 'test-key');
    await breakers.set('email', 'closed', 'provider back (test)', 'test-key');
    const count = inserts();
    // Recorded before the close: part of the backlog that goes out at the resume rate.
    await expect(
      subscription.handleMany!([event('OrderCreated', 'o-2', before), event('OrderCreated', 'o-3')]),
    ).rejects.toThrow(/one by one/);
    expect(count()).toBe(0);
    // Recorded after the close: at full speed, in one insert.
    await subscription.handleMany!([event('OrderCreated', 'o-4'), event('OrderCompleted', 'o-4')]);
    expect(count()).toBe(1);
    expect(await emailCollection(db).countDocuments()).toBe(2);
  });
});
