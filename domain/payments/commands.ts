import type { DeclineFailure } from './events';

/**
 * One order's payment, as the fold of its stream. "Charge" and "refund" are safe to repeat and
 * safe against each other:
 *   (none) -> charged -> refunded      the happy path, then a compensation
 *   (none) -> declined                 the account refused the debit (nothing moved)
 *   (none) -> voided                   a compensation came first: a late charge is refused
 *   voided | declined -> refunded      a debit that landed all the same is given back
 * There is no "charging": a charge decides on the stream's version before its debit and records
 * its completion expecting that version, so a void that lands in between refuses the completion,
 * and the attempt gives the money back (./decider.ts, SettleCharge).
 */
export const PAYMENT_STATUSES = ['charged', 'declined', 'voided', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** `failure` is absent where only the reason is known (a record kept before the stream was the state). */
export type PaymentState =
  | { status: null }
  | { status: 'charged' | 'refunded'; accountId: string; amount: number }
  | { status: 'declined'; reason: string; failure?: DeclineFailure }
  | { status: 'voided'; accountId: string };

type Charge = { orderId: string; accountId: string; amount: number };

/**
 * Charges the payment as its stream now stands: decided before the debit (what to record once it
 * went through), and again after a completion that found the stream moved on, with `debited`
 * (the refusal then says the payment was voided while it was being charged).
 */
export type ChargePayment = { type: 'ChargePayment'; debited: boolean } & Charge;
/** The account refused the debit; `debited` says whether the account's log holds it all the same. */
export type DeclineCharge = {
  type: 'DeclineCharge';
  orderId: string;
  failure: DeclineFailure;
  reason: string;
  debited: boolean;
};
/** The debit went through, and the stream was no longer where the charge was decided. */
export type SettleCharge = { type: 'SettleCharge' } & Charge;
/** A compensation stops the payment: no charge may start or finish after it. */
export type VoidPayment = { type: 'VoidPayment'; orderId: string; accountId: string };
/**
 * A compensation gives back what the account's log says was debited for the order (`debit`, null
 * when nothing was), once.
 */
export type RefundPayment = {
  type: 'RefundPayment';
  orderId: string;
  debit: { accountId: string; amount: number } | null;
};

export type PaymentCommand = ChargePayment | DeclineCharge | SettleCharge | VoidPayment | RefundPayment;
