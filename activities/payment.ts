import type { PaymentEvent } from '../domain/orders';
import { changes, decide, evolve, PaymentDomainError, type PaymentCommand, type PaymentDecision, type PaymentState, type PaymentStatus } from '../domain/payments';
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

/** The Payment service's own record of one order's payment; what its status allows is domain/payments. */
interface PaymentDocument {
  _id: string; // order id
  accountId: string;
  amount: number;
  status: PaymentStatus;
  declineReason?: string;
  updatedAt: Date;
}

/** The record as the decider sees it. */
function stateOf(doc: PaymentDocument | null): PaymentState {
  if (!doc) return { status: null };
  return { status: doc.status, accountId: doc.accountId, amount: doc.amount, ...(doc.declineReason !== undefined && { declineReason: doc.declineReason }) };
}

/** The payment's rules (domain/payments); a rule that refuses is a business failure, never retried. */
function rules(command: PaymentCommand, state: PaymentState): PaymentDecision[] {
  try {
    return decide(command, state);
  } catch (err) {
    if (err instanceof PaymentDomainError) throw businessFailure(err.code, err.message);
    throw err;
  }
}

/** The decided event that goes to the log (the others are the record's own). */
function logged(decided: PaymentDecision[]): PaymentEvent {
  const event = decided.find((e): e is PaymentEvent => e.type === 'PaymentCompleted' || e.type === 'PaymentRefunded');
  if (!event) throw new Error(`no payment event among ${decided.map((e) => e.type).join(', ') || 'nothing'}`);
  return event;
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
      const charge = { orderId, accountId, amount };
      const doc = await payments.findOneAndUpdate(
        { _id: orderId },
        { $setOnInsert: { accountId, amount, status: 'charging', updatedAt: new Date() } },
        { upsert: true, returnDocument: 'after' },
      );
      const state = stateOf(doc);
      // From charging the debit is still to be done; from charged this is a retry that records the event again.
      if (changes(state, rules({ type: 'ChargePayment', debited: false, ...charge }, state))) {
        try {
          // Idempotent by event id: a retry after a crash finds the debit and does not charge again.
          await accounts.debit({ accountId, amount, eventId: debitEventId(orderId), orderId, correlationId: ctx.correlationId });
        } catch (err) {
          const type = accounts.businessFailureOf(err);
          if (!type) throw err;
          const debited = await accounts.hasEvent(debitEventId(orderId));
          const reason = err instanceof Error ? err.message : String(err);
          const declined = rules({ type: 'DeclineCharge', orderId, failure: type, reason, debited }, state);
          if (declined.length === 0) throw new Error('the debit landed in an overlapping attempt; retrying to record it');
          await payments.updateOne({ _id: orderId, status: 'charging' }, { $set: { status: 'declined', declineReason: reason, updatedAt: new Date() } });
          rules({ type: 'ChargePayment', debited: false, ...charge }, declined.reduce(evolve, state));
          throw new Error(`order ${orderId}: a declined charge was not refused`);
        }
        const marked = await payments.findOneAndUpdate({ _id: orderId, status: 'charging' }, { $set: { status: 'charged', updatedAt: new Date() } }, { returnDocument: 'after' });
        if (!marked) {
          const now = stateOf(await payments.findOne({ _id: orderId }));
          const settled = rules({ type: 'SettleCharge', ...charge }, now);
          if (logged(settled).type === 'PaymentRefunded') {
            await refund(ctx, accountId, amount);
            rules({ type: 'ChargePayment', debited: true, ...charge }, settled.reduce(evolve, now));
            throw new Error(`order ${orderId}: a charge given back was not refused`);
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
      // No record before this void: every charge records itself before its debit, so none was made.
      if (!before) return { refunded: 0 };
      const state = stateOf(before);
      // "Declined" is only a claim about one attempt; the account's own log says whether money moved.
      if (state.status === 'declined' && rules({ type: 'RefundPayment', orderId, debited: await accounts.hasEvent(debitEventId(orderId)) }, state).length === 0) return { refunded: 0 };
      if (rules({ type: 'VoidPayment', orderId, accountId: ctx.accountId }, state).length > 0) {
        // Stop a charge that may still be running, then look at what actually happened.
        await payments.updateOne({ _id: orderId, status: 'charging' }, { $set: { status: 'voided', updatedAt: new Date() } });
      }
      let current = stateOf(await payments.findOne({ _id: orderId }));
      const debited = await accounts.hasEvent(debitEventId(orderId));
      // Only a refunded record needs the account asked whether its credit is there.
      if (debited && current.status === 'refunded') current = { ...current, refundLanded: await accounts.hasEvent(refundEventId(orderId)) };
      const decided = rules({ type: 'RefundPayment', orderId, debited }, current);
      if (decided.length === 0) return { refunded: 0 };
      const { accountId, amount } = logged(decided).data;
      if (changes(current, decided)) await refund(ctx, accountId, amount);
      else await appendPaymentEvent(ctx, 'PaymentRefunded', { accountId, amount });
      return { refunded: amount };
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
