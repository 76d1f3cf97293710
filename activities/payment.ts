import type { PaymentEvent } from '../domain/orders';
import { deterministicEventId } from '../eventstore/metadata';
import { appendSagaEvent, businessFailure, type OrderContext, type ServiceDeps } from './support';

/**
 * What Payment needs from the event-sourced accounts: a debit and a credit that are idempotent by
 * event id, and a way to ask whether a given debit happened.
 */
export interface AccountsPort {
  /** Throws InsufficientFundsError / AccountNotFoundError (business), anything else is technical. */
  debit(input: { accountId: string; amount: number; eventId: string; orderId: string; correlationId: string }): Promise<void>;
  credit(input: { accountId: string; amount: number; eventId: string; orderId: string; correlationId: string }): Promise<void>;
  hasEvent(eventId: string): Promise<boolean>;
  /** Classifies an error thrown by debit: the business failure type, or null for a technical one. */
  businessFailureOf(err: unknown): 'InsufficientFunds' | 'AccountNotFound' | 'InvalidAmount' | null;
}

/**
 * The Payment service's own record of one order's payment. Its status makes "charge" and "refund"
 * safe to repeat and safe against each other:
 *   charging -> charged -> refunded          the happy path, then a compensation
 *   charging -> declined                     insufficient funds (nothing moved)
 *   (none)   -> voided                       refund before any charge: a late charge is refused
 *   charging -> voided                       refund while a charge attempt may still be running
 */
interface PaymentDocument {
  _id: string; // order id
  accountId: string;
  amount: number;
  status: 'charging' | 'charged' | 'declined' | 'voided' | 'refunded';
  declineReason?: string;
  updatedAt: Date;
}

export const debitEventId = (orderId: string) => deterministicEventId('payment', orderId, 'debit');
export const refundEventId = (orderId: string) => deterministicEventId('payment', orderId, 'refund');

export function createPaymentActivities({ db, events, accounts }: ServiceDeps & { accounts: AccountsPort }) {
  const payments = db.collection<PaymentDocument>('payments');

  async function appendPaymentEvent(ctx: OrderContext, type: PaymentEvent['type'], data: Omit<PaymentEvent['data'], 'orderId'>) {
    await appendSagaEvent(events, { type: 'payment', id: ctx.orderId }, { type, data: { orderId: ctx.orderId, ...data }, eventId: deterministicEventId('payment', ctx.orderId, type) }, ctx.correlationId);
  }

  /** Gives the money back once (the refund's event id is fixed per order) and records it. */
  async function refund(ctx: OrderContext, accountId: string, amount: number) {
    await accounts.credit({ accountId, amount, eventId: refundEventId(ctx.orderId), orderId: ctx.orderId, correlationId: ctx.correlationId });
    await payments.updateOne({ _id: ctx.orderId }, { $set: { status: 'refunded', updatedAt: new Date() } });
    await appendPaymentEvent(ctx, 'PaymentRefunded', { accountId, amount });
  }

  return {
    async processPayment(ctx: OrderContext & { accountId: string; amount: number }): Promise<{ charged: number }> {
      const { orderId, accountId, amount } = ctx;
      const doc = await payments.findOneAndUpdate(
        { _id: orderId },
        { $setOnInsert: { accountId, amount, status: 'charging', updatedAt: new Date() } },
        { upsert: true, returnDocument: 'after' },
      );
      if (doc!.status === 'voided' || doc!.status === 'refunded') throw businessFailure('InsufficientFunds', 'payment was voided by a compensation before it could be charged');
      if (doc!.status === 'declined') throw businessFailure('InsufficientFunds', doc!.declineReason ?? 'payment declined');
      if (doc!.status === 'charging') {
        try {
          // Idempotent by event id: a retry after a crash finds the debit and does not charge again.
          await accounts.debit({ accountId, amount, eventId: debitEventId(orderId), orderId, correlationId: ctx.correlationId });
        } catch (err) {
          const type = accounts.businessFailureOf(err);
          if (!type) throw err;
          // An overlapping attempt (one that timed out but still ran) may have debited first, and
          // this attempt then saw the balance without the money. The debit is what counts.
          if (await accounts.hasEvent(debitEventId(orderId))) throw new Error('the debit landed in an overlapping attempt; retrying to record it');
          const reason = err instanceof Error ? err.message : String(err);
          await payments.updateOne({ _id: orderId, status: 'charging' }, { $set: { status: 'declined', declineReason: reason, updatedAt: new Date() } });
          throw businessFailure(type, reason);
        }
        // A compensation may have voided this payment while the debit was in flight: then give the
        // money back here, so that either the refund or this attempt returns it, exactly once.
        const marked = await payments.findOneAndUpdate({ _id: orderId, status: 'charging' }, { $set: { status: 'charged', updatedAt: new Date() } }, { returnDocument: 'after' });
        if (!marked) {
          const now = await payments.findOne({ _id: orderId });
          if (now?.status === 'voided' || now?.status === 'refunded') {
            await refund(ctx, accountId, amount);
            throw businessFailure('InsufficientFunds', 'payment was voided by a compensation while it was being charged');
          }
        }
      }
      await appendPaymentEvent(ctx, 'PaymentCompleted', { accountId, amount });
      return { charged: amount };
    },

    /** Compensation: refunds a completed charge; voids a payment that was never (or not yet) charged. */
    async refundPayment(ctx: OrderContext & { accountId: string }): Promise<{ refunded: number }> {
      const { orderId } = ctx;
      const before = await payments.findOneAndUpdate(
        { _id: orderId },
        { $setOnInsert: { accountId: ctx.accountId, amount: 0, status: 'voided', updatedAt: new Date() } },
        { upsert: true, returnDocument: 'before' },
      );
      if (!before) return { refunded: 0 }; // never charged; now voided
      // "Declined" is only a claim about one attempt; the account's own log says whether money moved.
      if (before.status === 'declined' && !(await accounts.hasEvent(debitEventId(orderId)))) return { refunded: 0 };
      if (before.status === 'charging') {
        // Stop a charge that may still be running, then look at what actually happened.
        await payments.updateOne({ _id: orderId, status: 'charging' }, { $set: { status: 'voided', updatedAt: new Date() } });
      }
      const current = await payments.findOne({ _id: orderId });
      const debited = await accounts.hasEvent(debitEventId(orderId));
      if (!debited) return { refunded: 0 };
      if (current!.status === 'refunded' && (await accounts.hasEvent(refundEventId(orderId)))) {
        await appendPaymentEvent(ctx, 'PaymentRefunded', { accountId: current!.accountId, amount: current!.amount });
        return { refunded: current!.amount };
      }
      await refund(ctx, current!.accountId, current!.amount);
      return { refunded: current!.amount };
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
