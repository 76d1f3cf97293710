import { LeaderNotWrittenError, type AppendRequest, type AppendResult, type Evolver } from '../eventstore';
import { deterministicEventId } from '../eventstore/metadata';
import {
  changes,
  decide,
  evolve,
  initialState,
  PaymentDomainError,
  type PaymentCommand,
  type PaymentDecision,
  type PaymentState,
  type PaymentStatus,
} from '../domain/payments';
import { streamStates, type Fold, type StreamStore } from './stream-state';
import { businessFailure, type OrderContext, type ServiceDeps } from './support';

/**
 * What Payment needs from the event-sourced accounts: a debit and a credit that are idempotent by
 * event id, and a way to ask the account's log whether a given event happened and what it moved.
 */
export interface AccountsPort {
  /**
   * Throws InsufficientFundsError / AccountNotFoundError (business), anything else is technical.
   * `together`: an append that follows the debit's in the same write, never without it.
   */
  debit(input: {
    accountId: string;
    amount: number;
    eventId: string;
    orderId: string;
    correlationId: string;
    together?: { request: AppendRequest; written(outcome: Promise<AppendResult>): void };
  }): Promise<void>;
  credit(input: {
    accountId: string;
    amount: number;
    eventId: string;
    orderId: string;
    correlationId: string;
  }): Promise<void>;
  hasEvent(eventId: string): Promise<boolean>;
  /** The account and amount a debit with this event id took, if it is in the log. */
  debitOf(eventId: string): Promise<{ accountId: string; amount: number } | null>;
  /** Classifies an error thrown by debit: the business failure type, or null for a technical one. */
  businessFailureOf(err: unknown): 'InsufficientFunds' | 'AccountNotFound' | 'InvalidAmount' | null;
}

/** The payment's state is the fold of its stream (`payment-<orderId>`). */
const paymentEvolver: Evolver<PaymentState> = {
  initialState,
  evolve: (state, event) => evolve(state, event as unknown as PaymentDecision),
};

/** The document the service kept per order before its stream was its state; only read, for payments that have nothing else. */
interface LegacyPaymentDocument {
  _id: string; // order id
  accountId: string;
  amount: number;
  status: 'charging' | PaymentStatus;
  declineReason?: string;
}

function legacyState(doc: LegacyPaymentDocument | null): PaymentState {
  switch (doc?.status) {
    case undefined:
    // A charge that had started: whether its debit went through is for the account's log to say.
    case 'charging':
      return { status: null };
    case 'charged':
    case 'refunded':
      return { status: doc.status, accountId: doc.accountId, amount: doc.amount };
    case 'declined':
      return { status: 'declined', reason: doc.declineReason ?? 'payment declined' };
    case 'voided':
      return { status: 'voided', accountId: doc.accountId };
  }
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

type Refunded = { type: 'PaymentRefunded'; data: { orderId: string; accountId: string; amount: number } };
const refundAmong = (decided: PaymentDecision[]) => decided.find((e): e is Refunded => e.type === 'PaymentRefunded');

/** Each state change is one append that expects the version it was decided on; a stream that moved on is decided on again. */
const MAX_ROUNDS = 20;

export const debitEventId = (orderId: string) => deterministicEventId('payment', orderId, 'debit');
export const refundEventId = (orderId: string) => deterministicEventId('payment', orderId, 'refund');

/*
 * The debit (on `account-<id>`) and PaymentCompleted (on `payment-<orderId>`) are one business
 * change on two streams. They are written together where they can be (`appendPair`: one insert,
 * the completion never without the debit), but not in one transaction: a repeated debit, or a
 * completion refused on its own version, still leaves the pair split. What reconciles it, and a
 * process that dies between the two: the debit's event id follows from the order, so a retry of
 * processPayment debits nothing twice and appends the completion it missed; and once the retries
 * run out, refundPayment voids the payment and asks the account's log (debitOf, hasEvent) whether
 * the debit is there, and gives back exactly that, under a credit id that also follows from the order.
 */
export function createPaymentActivities({
  events,
  db,
  accounts,
}: Omit<ServiceDeps, 'events'> & { events: StreamStore; accounts: AccountsPort }) {
  const legacy = db.collection<LegacyPaymentDocument>('payments');
  const payments = streamStates(events, 'payment', paymentEvolver);
  const withIds = (ctx: OrderContext, decided: PaymentDecision[]) =>
    decided.map((e) => ({ ...e, eventId: deterministicEventId('payment', ctx.orderId, e.type) }));
  const record = (ctx: OrderContext, fold: Fold<PaymentState>, decided: PaymentDecision[]) =>
    payments.append(ctx.orderId, fold, withIds(ctx, decided), ctx.correlationId);

  /**
   * The completion written with the debit: its fold, null when the payment's stream moved on
   * (decided again), or undefined when it was not written with the debit (a repeated debit, or none
   * tried) and is to be appended on its own.
   */
  async function recorded(
    orderId: string,
    fold: Fold<PaymentState>,
    completed: Promise<AppendResult> | undefined,
  ): Promise<Fold<PaymentState> | null | undefined> {
    if (!completed) return undefined;
    try {
      return await payments.accept(orderId, fold, completed);
    } catch (err) {
      if (err instanceof LeaderNotWrittenError) return undefined;
      throw err;
    }
  }

  /**
   * The payment now; a stream with no events falls back to the document kept before the stream
   * was the state (a saga that began before, whose compensation runs here). Only the refund asks:
   * a saga's steps run on the build it began on (pinned), while a compensation parked as a dead
   * letter may be redriven on a later one.
   */
  async function current(orderId: string): Promise<Fold<PaymentState>> {
    const fold = await payments.load(orderId);
    if (fold.version > 0) return fold;
    return { ...fold, state: legacyState(await legacy.findOne({ _id: orderId })) };
  }

  /** Gives the money back once (the credit's event id is fixed per order); false: the stream moved on before it was recorded. */
  async function giveBack(ctx: OrderContext, fold: Fold<PaymentState>, decided: PaymentDecision[]): Promise<boolean> {
    const refund = refundAmong(decided);
    if (!refund)
      throw new Error(`order ${ctx.orderId}: no PaymentRefunded among ${decided.map((e) => e.type).join(', ')}`);
    const { accountId, amount } = refund.data;
    await accounts.credit({
      accountId,
      amount,
      eventId: refundEventId(ctx.orderId),
      orderId: ctx.orderId,
      correlationId: ctx.correlationId,
    });
    return (await record(ctx, fold, decided)) !== null;
  }

  /**
   * The debit went through, but the stream is no longer where the charge was decided: a twin
   * attempt completed it, or a compensation voided it meanwhile (the money then goes back here).
   */
  async function settle(ctx: OrderContext & { accountId: string; amount: number }): Promise<{ charged: number }> {
    const charge = { orderId: ctx.orderId, accountId: ctx.accountId, amount: ctx.amount };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const fold = await payments.load(ctx.orderId);
      const settled = rules({ type: 'SettleCharge', ...charge }, fold.state);
      if (changes(fold.state, settled)) {
        const done =
          settled[0]?.type === 'PaymentRefunded'
            ? await giveBack(ctx, fold, settled)
            : (await record(ctx, fold, settled)) !== null;
        if (!done) continue;
      }
      // Charged: done. Given back: the charge is refused as voided while it was being charged.
      rules({ type: 'ChargePayment', debited: true, ...charge }, settled.reduce(evolve, fold.state));
      return { charged: ctx.amount };
    }
    throw new Error(`order ${ctx.orderId}: the payment's stream kept moving while its debit was settled`);
  }

  return {
    async processPayment(ctx: OrderContext & { accountId: string; amount: number }): Promise<{ charged: number }> {
      const { orderId, accountId, amount } = ctx;
      const charge = { orderId, accountId, amount };
      for (let round = 0; round < MAX_ROUNDS; round++) {
        // Read before the debit: a payment voided by a compensation refuses a late charge before any money moves.
        const fold = await payments.load(orderId);
        const decided = rules({ type: 'ChargePayment', debited: false, ...charge }, fold.state);
        // Charged already: a repeat.
        if (!changes(fold.state, decided)) return { charged: amount };
        // PaymentCompleted follows the debit in the same write: never without it, and most often
        // with it, so a crash rarely leaves the pair for the retry below to complete.
        const completion = payments.request(orderId, fold, withIds(ctx, decided), ctx.correlationId);
        let completed: Promise<AppendResult> | undefined;
        try {
          // Idempotent by event id: a retry after a crash finds the debit and does not charge again.
          await accounts.debit({
            accountId,
            amount,
            eventId: debitEventId(orderId),
            orderId,
            correlationId: ctx.correlationId,
            together: {
              request: completion,
              written: (outcome) => {
                completed = outcome;
              },
            },
          });
        } catch (err) {
          const type = accounts.businessFailureOf(err);
          if (!type) throw err;
          const reason = err instanceof Error ? err.message : String(err);
          const declined = rules(
            {
              type: 'DeclineCharge',
              orderId,
              failure: type,
              reason,
              debited: await accounts.hasEvent(debitEventId(orderId)),
            },
            fold.state,
          );
          if (declined.length > 0) {
            const after = await record(ctx, fold, declined);
            if (!after) continue;
            rules({ type: 'ChargePayment', debited: false, ...charge }, after.state);
            throw new Error(`order ${orderId}: a declined charge was not refused`);
          }
          // The debit landed in an overlapping attempt: this one records the completion.
          completed = undefined;
        }
        const after = await recorded(orderId, fold, completed);
        if (after === undefined ? await record(ctx, fold, decided) : after) return { charged: amount };
        return settle(ctx);
      }
      throw new Error(`order ${orderId}: the payment's stream kept moving while it was being charged`);
    },

    /** Compensation: refunds what was debited; voids a payment that was never (or not yet) charged, so that a late charge is refused. */
    async refundPayment(ctx: OrderContext & { accountId: string }): Promise<{ refunded: number }> {
      const { orderId } = ctx;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        let fold = await current(orderId);
        const voided = rules({ type: 'VoidPayment', orderId, accountId: ctx.accountId }, fold.state);
        if (voided.length > 0) {
          // Stop a charge that may still be running; then look at what actually moved.
          const after = await record(ctx, fold, voided);
          if (!after) continue;
          fold = after;
        }
        // Only what the account's log holds is given back: a decline or a void says nothing of an overlapping attempt's debit.
        const decided = rules(
          { type: 'RefundPayment', orderId, debit: await accounts.debitOf(debitEventId(orderId)) },
          fold.state,
        );
        const refund = refundAmong(decided);
        if (!refund) return { refunded: 0 };
        if (changes(fold.state, decided) && !(await giveBack(ctx, fold, decided))) continue;
        return { refunded: refund.data.amount };
      }
      throw new Error(`order ${orderId}: the payment's stream kept moving while it was being refunded`);
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
