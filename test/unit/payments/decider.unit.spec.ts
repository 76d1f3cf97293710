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
const debit = { accountId, amount };

const completed: PaymentDecision = { type: 'PaymentCompleted', data: charge };
const declined = (failure: 'InsufficientFunds' | 'AccountNotFound' = 'InsufficientFunds'): PaymentDecision => ({
  type: 'PaymentDeclined',
  data: { orderId, failure, reason: 'Account acc-1 has 5 cents; cannot withdraw 1000' },
});
const voided: PaymentDecision = { type: 'PaymentVoided', data: { orderId, accountId } };
const refunded: PaymentDecision = { type: 'PaymentRefunded', data: charge };

const chargeIt = (debited = false): PaymentCommand => ({ type: 'ChargePayment', debited, ...charge });
const decline = (
  debited = false,
  failure: 'InsufficientFunds' | 'AccountNotFound' = 'InsufficientFunds',
): PaymentCommand => ({
  type: 'DeclineCharge',
  orderId,
  failure,
  reason: 'Account acc-1 has 5 cents; cannot withdraw 1000',
  debited,
});
const settle: PaymentCommand = { type: 'SettleCharge', ...charge };
const voidIt: PaymentCommand = { type: 'VoidPayment', orderId, accountId };
const refund = (debited: { accountId: string; amount: number } | null): PaymentCommand => ({
  type: 'RefundPayment',
  orderId,
  debit: debited,
});

const fold = (events: PaymentDecision[]): PaymentState => events.reduce(evolve, initialState());

type Case = [
  name: string,
  given: PaymentDecision[],
  command: PaymentCommand,
  then: PaymentDecision[] | (new (...args: never[]) => Error),
];

const cases: Case[] = [
  // Charge once
  [
    'charges a payment that has no events yet (the completion to record once the debit went through)',
    [],
    chargeIt(),
    [completed],
  ],
  ['repeats the completion of a payment already charged', [completed], chargeIt(), [completed]],
  ['refuses a charge the account declined', [declined()], chargeIt(), PaymentDeclinedError],
  ['refuses a charge of a payment voided before it could be charged', [voided], chargeIt(), PaymentVoidedError],
  ['refuses a late charge after the payment was refunded', [completed, refunded], chargeIt(), PaymentVoidedError],
  // Declines
  ['records the decline of a charge the account refused', [], decline(), [declined()]],
  ['records no decline when the debit landed in an overlapping attempt', [], decline(true), []],
  ['records no decline of a payment a compensation voided meanwhile', [voided], decline(), []],
  ['records no decline of a payment a twin attempt charged meanwhile', [completed], decline(), []],
  // A debit that went through while the stream moved on
  ['completes a debited charge whose stream a twin attempt completed', [completed], settle, [completed]],
  ['gives back a debit that landed after a compensation voided the payment', [voided], settle, [refunded]],
  ['gives back a debit that landed after an overlapping attempt recorded a decline', [declined()], settle, [refunded]],
  ['repeats the refund of a debit a compensation already gave back', [completed, refunded], settle, [refunded]],
  // Compensation
  ['voids a payment that has no events yet, so that a late charge is refused', [], voidIt, [voided]],
  ['leaves a charged payment for the refund', [completed], voidIt, []],
  ['leaves a declined payment as it is', [declined()], voidIt, []],
  ['voids a payment once', [voided], voidIt, []],
  ['refunds a charged payment once', [completed], refund(debit), [refunded]],
  [
    "refunds the debit of a payment voided while it was being charged, as the account's log holds it",
    [voided],
    refund({ accountId, amount: 700 }),
    [{ type: 'PaymentRefunded', data: { orderId, accountId, amount: 700 } }],
  ],
  [
    'refunds a payment whose decline was only one attempt and whose debit landed',
    [declined()],
    refund(debit),
    [refunded],
  ],
  ['repeats the refund of a payment already refunded', [completed, refunded], refund(debit), [refunded]],
  ['refunds nothing of a payment never debited', [voided], refund(null), []],
  ['refunds nothing of a declined payment the account never debited', [declined()], refund(null), []],
  ['refuses to refund a payment that was not voided first', [], refund(debit), Error],
];

describe('payment decider', () => {
  it.each(cases)('%s', (_name, given, command, then) => {
    const state = fold(given);
    if (Array.isArray(then)) expect(decide(command, state)).toEqual(then);
    else expect(() => decide(command, state)).toThrow(then);
  });

  it("declines with the account's own failure type, and InsufficientFunds where only the reason is known", () => {
    expect(() => decide(chargeIt(), fold([declined('AccountNotFound')]))).toThrow(
      expect.objectContaining({ code: 'AccountNotFound', message: 'Account acc-1 has 5 cents; cannot withdraw 1000' }),
    );
    const kept: PaymentState = { status: 'declined', reason: 'no money' };
    expect(() => decide(chargeIt(), kept)).toThrow(
      expect.objectContaining({ code: 'InsufficientFunds', message: 'no money' }),
    );
  });

  it('says whether a void came before the charge or during it', () => {
    expect(() => decide(chargeIt(false), fold([voided]))).toThrow(
      'payment was voided by a compensation before it could be charged',
    );
    expect(() => decide(chargeIt(true), fold([voided, refunded]))).toThrow(
      'payment was voided by a compensation while it was being charged',
    );
  });

  it('tells a change to carry out from a repeat of what the stream holds', () => {
    expect(changes(fold([]), [completed])).toBe(true);
    expect(changes(fold([completed]), [completed])).toBe(false);
    expect(changes(fold([completed]), [refunded])).toBe(true);
    expect(changes(fold([voided]), [refunded])).toBe(true);
    expect(changes(fold([completed, refunded]), [refunded])).toBe(false);
  });

  it('folds the stream through its statuses; the first of charge, decline and void wins, a refund ends it', () => {
    expect(fold([completed, refunded])).toEqual({ status: 'refunded', accountId, amount });
    expect(fold([voided, completed])).toEqual({ status: 'voided', accountId });
    expect(fold([declined(), completed])).toMatchObject({ status: 'declined' });
    expect(fold([voided, { type: 'PaymentRefunded', data: { orderId, accountId, amount: 700 } }])).toEqual({
      status: 'refunded',
      accountId,
      amount: 700,
    });
  });

  it("leaves the state alone for an event type it does not know (a newer writer's)", () => {
    expect(
      evolve(fold([completed]), { type: 'PaymentDisputed', data: { orderId } } as unknown as PaymentDecision),
    ).toEqual(fold([completed]));
  });
});
