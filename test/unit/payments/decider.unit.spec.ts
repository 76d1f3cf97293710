import { describe, expect, it } from 'vitest';
import {
  changes,
  decide,
  evolve,
  initialState,
  PaymentDeclinedError,
  PaymentVoidedError,
  type PaymentCommand,
  type PaymentDecision,
  type PaymentState,
} from '../../../domain/payments';

const orderId = 'o-1';
const accountId = 'acc-1';
const amount = 1000;
const charge = { orderId, accountId, amount };

const started: PaymentDecision = { type: 'ChargeStarted', data: charge };
const completed: PaymentDecision = { type: 'PaymentCompleted', data: charge };
const declined = (failure: 'InsufficientFunds' | 'AccountNotFound' = 'InsufficientFunds'): PaymentDecision => ({ type: 'PaymentDeclined', data: { orderId, failure, reason: 'Account acc-1 has 5 cents; cannot withdraw 1000' } });
const voided: PaymentDecision = { type: 'PaymentVoided', data: { orderId, accountId } };
const refunded: PaymentDecision = { type: 'PaymentRefunded', data: charge };
const refundedNothing: PaymentDecision = { type: 'PaymentRefunded', data: { orderId, accountId, amount: 0 } };

const start: PaymentCommand = { type: 'StartCharge', ...charge };
const chargeIt = (debited = false): PaymentCommand => ({ type: 'ChargePayment', debited, ...charge });
const decline = (debited = false, failure: 'InsufficientFunds' | 'AccountNotFound' = 'InsufficientFunds'): PaymentCommand => ({ type: 'DeclineCharge', orderId, failure, reason: 'Account acc-1 has 5 cents; cannot withdraw 1000', debited });
const settle: PaymentCommand = { type: 'SettleCharge', ...charge };
const voidIt: PaymentCommand = { type: 'VoidPayment', orderId, accountId };
const refund = (debited: boolean): PaymentCommand => ({ type: 'RefundPayment', orderId, debited });

const fold = (events: PaymentDecision[]): PaymentState => events.reduce(evolve, initialState());
/** The state as the service sees it after asking the account whether the refund's credit is there. */
const withRefundLanded = (state: PaymentState, refundLanded: boolean): PaymentState => (state.status === null ? state : { ...state, refundLanded });

type Case = [name: string, given: PaymentState, command: PaymentCommand, then: PaymentDecision[] | (new (...args: never[]) => Error)];

const cases: Case[] = [
  // Charge once
  ['starts a charge for a payment not recorded yet', fold([]), start, [started]],
  ['keeps the record of a charge already started', fold([started]), start, []],
  ['keeps the record of a payment voided before its charge started', fold([voided]), start, []],
  ['completes a charge that is still to be debited', fold([started]), chargeIt(), [completed]],
  ['repeats the completion of a payment already charged', fold([started, completed]), chargeIt(), [completed]],
  ['refuses a charge the account declined', fold([started, declined()]), chargeIt(), PaymentDeclinedError],
  ['refuses a charge of a payment voided before it could be charged', fold([voided]), chargeIt(), PaymentVoidedError],
  ['refuses a late charge after the payment was refunded', fold([started, completed, refunded]), chargeIt(), PaymentVoidedError],
  ['refuses a charge to record when it has no record', fold([]), chargeIt(), Error],
  // Declines
  ['records the decline of a charge the account refused', fold([started]), decline(), [declined()]],
  ['records no decline when the debit landed in an overlapping attempt', fold([started]), decline(true), []],
  ['records no decline of a payment a compensation voided meanwhile', fold([started, voided]), decline(), []],
  // A debit that went through
  ['completes a debited charge whose record moved on without a void', fold([started, completed]), settle, [completed]],
  ['gives back a debit that landed after a compensation voided the payment', fold([started, voided]), settle, [refunded]],
  ['gives back a debit that landed after a compensation refunded the payment', fold([started, completed, refunded]), settle, [refunded]],
  // Compensation
  ['voids a payment that never happened, so that a late charge is refused', fold([]), voidIt, [voided]],
  ['voids a charge that may still be running', fold([started]), voidIt, [voided]],
  ['leaves a charged payment for the refund', fold([started, completed]), voidIt, []],
  ['leaves a declined payment as it is', fold([started, declined()]), voidIt, []],
  ['refunds a charged payment once', fold([started, completed]), refund(true), [refunded]],
  ['refunds the debit of a payment voided while it was being charged', fold([started, voided]), refund(true), [refunded]],
  ['refunds a payment whose decline was only one attempt and whose debit landed', fold([started, declined()]), refund(true), [refunded]],
  ['refunds nothing of a payment never debited', fold([started, voided]), refund(false), []],
  ['refunds nothing of a declined payment the account never debited', fold([started, declined()]), refund(false), []],
  ['refunds nothing of a payment that never happened', fold([voided]), refund(false), []],
  ['repeats the refund of a payment whose credit is in the account', withRefundLanded(fold([started, completed, refunded]), true), refund(true), [refunded]],
  ['refuses to judge a refunded payment without knowing whether its credit landed', { status: 'refunded', accountId, amount }, refund(true), Error],
  ['refuses to refund a debit whose payment has no record', fold([]), refund(true), Error],
  ['refunds at the amount recorded (0 for a payment voided before any charge)', fold([voided]), refund(true), [refundedNothing]],
];

describe('payment decider', () => {
  it.each(cases)('%s', (_name, state, command, then) => {
    if (Array.isArray(then)) expect(decide(command, state)).toEqual(then);
    else expect(() => decide(command, state)).toThrow(then);
  });

  it('declines with the account\'s own failure type, and InsufficientFunds once only the reason is left', () => {
    const seen = fold([started, declined('AccountNotFound')]);
    expect(() => decide(chargeIt(), seen)).toThrow(expect.objectContaining({ code: 'AccountNotFound', message: 'Account acc-1 has 5 cents; cannot withdraw 1000' }));
    const reread: PaymentState = { status: 'declined', accountId, amount, declineReason: 'no money' };
    expect(() => decide(chargeIt(), reread)).toThrow(expect.objectContaining({ code: 'InsufficientFunds', message: 'no money' }));
    expect(() => decide(chargeIt(), { status: 'declined', accountId, amount })).toThrow('payment declined');
  });

  it('says whether a void came before the charge or during it', () => {
    expect(() => decide(chargeIt(false), fold([voided]))).toThrow('payment was voided by a compensation before it could be charged');
    expect(() => decide(chargeIt(true), fold([started, voided, refunded]))).toThrow('payment was voided by a compensation while it was being charged');
  });

  it('tells a change to carry out from a repeat to record again', () => {
    expect(changes(fold([started]), [completed])).toBe(true);
    expect(changes(fold([started, completed]), [completed])).toBe(false);
    expect(changes(fold([started, completed]), [refunded])).toBe(true);
    expect(changes(withRefundLanded(fold([started, completed, refunded]), true), [refunded])).toBe(false);
    // A refunded record whose credit is not in the account's log: the refund is done again.
    expect(changes(withRefundLanded(fold([started, completed, refunded]), false), [refunded])).toBe(true);
  });

  it('folds the record through its statuses', () => {
    expect(fold([started, completed, refunded])).toMatchObject({ status: 'refunded', amount });
    expect(fold([voided, started])).toMatchObject({ status: 'voided', amount: 0 });
    expect(fold([started, declined(), completed])).toMatchObject({ status: 'declined' });
  });
});
