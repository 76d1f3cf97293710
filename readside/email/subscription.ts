import { MongoBulkWriteError, type Db } from 'mongodb';
import { asSagaEvent, type OrderEvent } from '../../domain/orders';
import { ERASED, withoutSealed } from '../../domain/personal-data';
import type { StoredEvent } from '../../eventstore';
import type { Breakers } from '../../infra/breakers';
import type { Faults } from '../../infra/faults';
import type { Subscription } from '../engine/types';
import { emailBreakerGate } from './breaker-gate';

export interface EmailDocument {
  /** The event that caused the email: the same event never sends twice. */
  _id: string;
  orderId: string;
  /**
   * The recipient, as the event names it: sealed with the customer's key, so the sent-mail log
   * holds no personal data and an erased customer's emails show no address (api/routes/emails.ts
   * opens it). The address is the customer's id at customers.example.
   */
  customerId: string | null;
  kind: 'order-received' | 'order-confirmed' | 'order-cancelled';
  subject: string;
  body: string;
  sentAt: Date;
}

export const emailCollection = (db: Db) => db.collection<EmailDocument>('emails');

/** The address an email went to, from its opened recipient id (ERASED stays ERASED). */
export const addressOf = (customerId: string | null) =>
  customerId === ERASED ? ERASED : `${customerId ?? 'customer'}@customers.example`;

/**
 * The Email service, an independent consumer of order events. Its "transport" is the `emails`
 * collection (GET /emails shows what was sent): an insert keyed by the causing event is the send,
 * so a redelivered event is recognised and nothing goes out twice. Each send goes through the
 * `email` circuit breaker (./breaker-gate.ts) when `breakers` is given: while the provider is down
 * (fault injection) the first failures are retried with backoff until they open the breaker; then
 * no send is attempted, the subscription keeps its place, and a probe tests the provider at the
 * breaker's pace. Orders are not affected, and every email goes out once it recovers. `signal`
 * ends a wait on the breaker when the subscription stops.
 */
export function emailSubscription({
  db,
  faults,
  breakers,
  signal,
}: {
  db: Db;
  faults?: Faults;
  breakers?: Breakers;
  signal?: AbortSignal;
}): Subscription {
  const emails = emailCollection(db);
  const gate = breakers ? emailBreakerGate(breakers, signal) : undefined;
  return {
    name: 'email',
    eventTypes: ['OrderCreated', 'OrderCompleted', 'OrderCancelled'],
    // Nobody reads its position: it only says where a restart resumes (a redelivered send is recognised).
    checkpoint: 'lazy',
    retry: { initialMs: 100, maxMs: 5_000, maxAttempts: Number.POSITIVE_INFINITY },
    async handle(event: StoredEvent) {
      const e = notified(event);
      if (!e) return;
      const send = async () => {
        // Injected faults (tests, demos) only when fault injection is on: the provider is down.
        await faults?.failIfDown('email');
        await emails.insertOne(emailOf(event, e)).catch((err: { code?: number }) => {
          if (err.code !== 11000) throw err; // 11000: already sent for this event
        });
      };
      await (gate ? gate.send(new Date(event.metadata.timestamp), send) : send());
    },
    /**
     * A batch's emails in one call while the breaker lets them all go at full speed; otherwise it
     * throws, and the runner sends them one by one through `handle` (a redelivered send is
     * recognised by its event id, so a half-sent batch sends nothing twice).
     */
    async handleMany(events: StoredEvent[]) {
      const sends = events.flatMap((event) => {
        const e = notified(event);
        return e ? [{ event, e }] : [];
      });
      if (sends.length === 0) return;
      const docs = sends.map(({ event, e }) => emailOf(event, e));
      const sendAll = async () => {
        await faults?.failIfDown('email');
        await emails.insertMany(docs, { ordered: false }).catch(async (err: unknown) => {
          if (!onlyAlreadySent(err)) throw err;
          // A redelivered batch: the emails sent before were refused. Servers differ in what they
          // report of the rest, so the batch counts as sent only once every one of its emails is there.
          const ids = docs.map((d) => d._id);
          if ((await emails.countDocuments({ _id: { $in: ids } })) !== ids.length) throw err;
        });
      };
      if (!gate) return sendAll();
      const sent = await gate.sendAll(
        sends.map(({ event }) => new Date(event.metadata.timestamp)),
        sendAll,
      );
      if (!sent) throw new Error('the email breaker holds this batch back: its emails go one by one');
    },
  };
}

type Notified = Extract<OrderEvent, { type: 'OrderCreated' | 'OrderCompleted' | 'OrderCancelled' }>;

function notified(event: StoredEvent): Notified | null {
  const e = asSagaEvent(event);
  return e.type === 'OrderCreated' || e.type === 'OrderCompleted' || e.type === 'OrderCancelled' ? e : null;
}

function emailOf(event: StoredEvent, e: Notified): EmailDocument {
  return {
    _id: event.metadata.eventId,
    orderId: e.data.orderId,
    customerId: e.data.customerId ?? null,
    ...compose(e),
    sentAt: new Date(),
  };
}

/** Whether an unordered insert failed only on emails already sent (11000: keyed by the causing event). */
function onlyAlreadySent(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError) || err.writeConcernError) return false;
  const refused = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return refused.every((w) => w.code === 11000);
}

function compose(e: Notified): Pick<EmailDocument, 'kind' | 'subject' | 'body'> {
  const { data } = e;
  const amount = typeof data.total === 'number' ? ` (${(data.total / 100).toFixed(2)})` : '';
  switch (e.type) {
    case 'OrderCreated':
      return {
        kind: 'order-received',
        subject: `We received your order ${data.orderId}`,
        body: `Thank you for your order${amount}.`,
      };
    case 'OrderCompleted':
      return {
        kind: 'order-confirmed',
        subject: `Your order ${data.orderId} is confirmed`,
        body: `Your order${amount} is paid and will ship soon.`,
      };
    case 'OrderCancelled': {
      const { data } = e;
      // Compensations that could not be done yet (dead letters): the email must not claim them.
      const refundPending = data.openCompensations?.includes('refundPayment') === true;
      const refund = refundPending
        ? 'Your refund could not be completed yet; our team has been alerted and will complete it.'
        : 'Any payment was refunded.';
      // A reason someone typed is sealed with the customer's key: the stored body keeps no copy of it.
      const reason = withoutSealed(data.reason ?? 'no reason given', '(see your order)');
      return {
        kind: 'order-cancelled',
        subject: `Your order ${data.orderId} was cancelled`,
        body: `Your order was cancelled: ${reason}. ${refund}`,
      };
    }
  }
}
