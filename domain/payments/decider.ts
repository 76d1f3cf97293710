import type { ChargePayment, PaymentCommand, PaymentState } from './commands';
import { PaymentDeclinedError, PaymentVoidedError } from './errors';
import type { PaymentDecision } from './events';

/**
 * One order's payment as a decider: pure functions, no I/O. The Payment service keeps a record per
 * order and changes it with conditional writes; `decide` runs on the record a write returned (or
 * the one read after it) and says what happens next, or throws a typed error (./errors.ts) when a
 * rule refuses. The money itself moves in the accounts, idempotently by event id; what the
 * account's log holds reaches the decider as facts (`debited` on a command, `refundLanded` on the state).
 */

export const initialState = (): PaymentState => ({ status: null });

export function evolve(state: PaymentState, event: PaymentDecision): PaymentState {
  switch (event.type) {
    case 'ChargeStarted':
      return state.status === null ? { status: 'charging', accountId: event.data.accountId, amount: event.data.amount } : state;
    case 'PaymentDeclined':
      return state.status === 'charging' ? { ...state, status: 'declined', declineReason: event.data.reason, failure: event.data.failure } : state;
    case 'PaymentCompleted':
      return state.status === 'charging' ? { ...state, status: 'charged' } : state;
    case 'PaymentVoided':
      if (state.status === null) return { status: 'voided', accountId: event.data.accountId, amount: 0 };
      return state.status === 'charging' ? { ...state, status: 'voided' } : state;
    case 'PaymentRefunded':
      if (state.status === null) return { status: 'refunded', accountId: event.data.accountId, amount: event.data.amount, refundLanded: true };
      return { ...state, status: 'refunded', refundLanded: true };
    default:
      // Events this code does not know (written by a newer version) leave the state alone.
      return state;
  }
}

export function decide(command: PaymentCommand, state: PaymentState): PaymentDecision[] {
  const { orderId } = command;
  switch (command.type) {
    case 'StartCharge':
      return state.status === null ? [{ type: 'ChargeStarted', data: { orderId, accountId: command.accountId, amount: command.amount } }] : [];
    case 'ChargePayment':
      return charge(command, state);
    case 'DeclineCharge':
      // An overlapping attempt (one that timed out but still ran) may have debited first, and this
      // attempt then saw the balance without the money. The debit is what counts: no decline.
      if (command.debited || state.status !== 'charging') return [];
      return [{ type: 'PaymentDeclined', data: { orderId, failure: command.failure, reason: command.reason } }];
    case 'SettleCharge':
      // A compensation voided the payment while the debit was in flight: this attempt gives the
      // money back, so that either the refund or this attempt returns it, exactly once.
      if (state.status === 'voided' || state.status === 'refunded') return [{ type: 'PaymentRefunded', data: { orderId, accountId: command.accountId, amount: command.amount } }];
      return [completed(command)];
    case 'VoidPayment':
      // No payment yet: voided, so that a late charge is refused. Charging: stop a charge that may still be running.
      return state.status === null || state.status === 'charging' ? [{ type: 'PaymentVoided', data: { orderId, accountId: command.accountId } }] : [];
    case 'RefundPayment': {
      // Refund only what moved: a payment never debited (declined, voided) gives nothing back.
      if (!command.debited) return [];
      if (state.status === null) throw new Error(`RefundPayment of order ${orderId}: the account holds its debit but the payment has no record`);
      if (state.status === 'refunded' && state.refundLanded === undefined) throw new Error(`RefundPayment of order ${orderId} needs to know whether its refund landed`);
      // Refund once: a refunded payment whose credit is in the account's log repeats its event.
      return [{ type: 'PaymentRefunded', data: { orderId, accountId: state.accountId, amount: state.amount } }];
    }
  }
}

/**
 * Whether decided events change the payment (the service carries them out: money moves and the
 * record is written) or only repeat what it already holds (the service records them again).
 */
export function changes(state: PaymentState, decided: PaymentDecision[]): boolean {
  const after = decided.reduce(evolve, state);
  if (after.status !== state.status) return true;
  return after.status !== null && state.status !== null && after.refundLanded !== state.refundLanded;
}

function charge(command: ChargePayment, state: PaymentState): PaymentDecision[] {
  const { orderId } = command;
  switch (state.status) {
    case null:
      throw new Error(`ChargePayment of order ${orderId} needs the payment's record; start the charge first`);
    // Charge once, and never after a compensation: a late attempt finds the payment voided.
    case 'voided':
    case 'refunded':
      throw new PaymentVoidedError(orderId, command.debited ? 'while it was being charged' : 'before it could be charged');
    case 'declined':
      throw new PaymentDeclinedError(orderId, state.failure ?? 'InsufficientFunds', state.declineReason ?? 'payment declined');
    // From charging the debit is still to be done; from charged this is a repeat.
    case 'charging':
    case 'charged':
      return [completed(command)];
  }
}

function completed(command: { orderId: string; accountId: string; amount: number }): PaymentDecision {
  return { type: 'PaymentCompleted', data: { orderId: command.orderId, accountId: command.accountId, amount: command.amount } };
}
