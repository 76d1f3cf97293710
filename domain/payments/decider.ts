import type { ChargePayment, PaymentCommand, PaymentState } from './commands';
import { PaymentDeclinedError, PaymentVoidedError } from './errors';
import type { PaymentDecision } from './events';

/**
 * One order's payment as a decider: pure functions, no I/O. The Payment service reads the
 * payment's stream, lets `decide` say what happens next (or throw a typed error, ./errors.ts,
 * when a rule refuses) and appends that, expecting the version it decided on. The money itself
 * moves in the accounts, idempotently by event id; what the account's log holds reaches the
 * decider as facts on the commands (`debited`, `debit`).
 */

export const initialState = (): PaymentState => ({ status: null });

export function evolve(state: PaymentState, event: PaymentDecision): PaymentState {
  switch (event.type) {
    case 'PaymentCompleted':
      return state.status === null
        ? { status: 'charged', accountId: event.data.accountId, amount: event.data.amount }
        : state;
    case 'PaymentDeclined':
      return state.status === null
        ? { status: 'declined', reason: event.data.reason, failure: event.data.failure }
        : state;
    case 'PaymentVoided':
      return state.status === null ? { status: 'voided', accountId: event.data.accountId } : state;
    case 'PaymentRefunded':
      return { status: 'refunded', accountId: event.data.accountId, amount: event.data.amount };
    default:
      // Events this code does not know (written by a newer version) leave the state alone.
      return state;
  }
}

export function decide(command: PaymentCommand, state: PaymentState): PaymentDecision[] {
  const { orderId } = command;
  switch (command.type) {
    case 'ChargePayment':
      return charge(command, state);
    case 'DeclineCharge':
      // An overlapping attempt (one that timed out but still ran) may have debited first, and this
      // attempt then saw the balance without the money. The debit is what counts: no decline.
      if (command.debited || state.status !== null) return [];
      return [{ type: 'PaymentDeclined', data: { orderId, failure: command.failure, reason: command.reason } }];
    case 'SettleCharge':
      switch (state.status) {
        case null:
        case 'charged':
          return [completed(command)];
        // A compensation voided the payment (or an overlapping attempt recorded a decline) while
        // the debit was in flight: this attempt gives the money back, so that either the refund or
        // this attempt returns it, exactly once (both credit under the same event id).
        case 'voided':
        case 'declined':
          return [refunded(orderId, command)];
        case 'refunded':
          return [refunded(orderId, state)];
      }
      break;
    case 'VoidPayment':
      // No payment yet: voided, so that a late charge is refused. Anything else stays for the refund to judge.
      return state.status === null ? [{ type: 'PaymentVoided', data: { orderId, accountId: command.accountId } }] : [];
    case 'RefundPayment': {
      // Refund only what moved: a payment never debited (declined, voided) gives nothing back.
      if (!command.debit) return [];
      switch (state.status) {
        case null:
          throw new Error(`RefundPayment of order ${orderId}: void the payment before refunding it`);
        // Refund once: a refunded payment repeats its event (its credit went in before it was recorded).
        case 'charged':
        case 'refunded':
          return [refunded(orderId, state)];
        // "Declined" is only a claim about one attempt, and a void may have come while a debit was
        // in flight: the account's log says what moved, and that much goes back.
        case 'voided':
        case 'declined':
          return [refunded(orderId, command.debit)];
      }
    }
  }
  throw new Error(`payment of order ${orderId}: no rule for ${command.type} in status ${state.status}`);
}

/**
 * Whether decided events change the payment (the service carries them out: money moves and the
 * stream is appended to) or only repeat what its stream already holds.
 */
export function changes(state: PaymentState, decided: PaymentDecision[]): boolean {
  return decided.reduce(evolve, state).status !== state.status;
}

function charge(command: ChargePayment, state: PaymentState): PaymentDecision[] {
  const { orderId } = command;
  switch (state.status) {
    // Charge once, and never after a compensation: a late attempt finds the payment voided.
    case 'voided':
    case 'refunded':
      throw new PaymentVoidedError(
        orderId,
        command.debited ? 'while it was being charged' : 'before it could be charged',
      );
    case 'declined':
      throw new PaymentDeclinedError(orderId, state.failure ?? 'InsufficientFunds', state.reason);
    // Nothing yet: the debit is still to be done. Charged: this is a repeat.
    case null:
    case 'charged':
      return [completed(command)];
  }
}

function completed(command: { orderId: string; accountId: string; amount: number }): PaymentDecision {
  return {
    type: 'PaymentCompleted',
    data: { orderId: command.orderId, accountId: command.accountId, amount: command.amount },
  };
}

function refunded(orderId: string, money: { accountId: string; amount: number }): PaymentDecision {
  return { type: 'PaymentRefunded', data: { orderId, accountId: money.accountId, amount: money.amount } };
}
