import type { DeclineFailure } from './events';

/**
 * The Payment service's record of one order's payment. Its status makes "charge" and "refund"
 * safe to repeat and safe against each other:
 *   charging -> charged -> refunded          the happy path, then a compensation
 *   charging -> declined                     insufficient funds (nothing moved)
 *   (none)   -> voided                       refund before any charge: a late charge is refused
 *   charging -> voided                       refund while a charge attempt may still be running
 */
export const PAYMENT_STATUSES = ['charging', 'charged', 'declined', 'voided', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * `failure` is known only to the attempt that saw the decline (the record keeps the reason);
 * `refundLanded` says whether the account's log holds the refund's credit (a fact the service asks
 * the account for, and adds to the record's state, where a rule needs it).
 */
export type PaymentState =
  | { status: null }
  | { status: PaymentStatus; accountId: string; amount: number; declineReason?: string; failure?: DeclineFailure; refundLanded?: boolean };

type Charge = { orderId: string; accountId: string; amount: number };

/** The charge's record is created (once; a record that exists is kept as it is). */
export type StartCharge = { type: 'StartCharge' } & Charge;
/**
 * Charges the payment as its record now stands: `debited` says whether this attempt's debit
 * already went through (the refusal then says the payment was voided while it was being charged).
 */
export type ChargePayment = { type: 'ChargePayment'; debited: boolean } & Charge;
/** The account refused the debit; `debited` says whether the account's log holds it all the same. */
export type DeclineCharge = { type: 'DeclineCharge'; orderId: string; failure: DeclineFailure; reason: string; debited: boolean };
/** The debit went through, and the record was not (or no longer) charging. */
export type SettleCharge = { type: 'SettleCharge' } & Charge;
/** A compensation stops the payment: no charge may start or finish after it. */
export type VoidPayment = { type: 'VoidPayment'; orderId: string; accountId: string };
/** A compensation gives back what the account's log says was debited (`debited`), once. */
export type RefundPayment = { type: 'RefundPayment'; orderId: string; debited: boolean };

export type PaymentCommand = StartCharge | ChargePayment | DeclineCharge | SettleCharge | VoidPayment | RefundPayment;
