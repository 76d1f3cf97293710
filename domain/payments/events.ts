import type { PaymentEvent } from '../orders/events';

/** How a charge can be refused by the account (the saga's business failure types for it). */
export type DeclineFailure = Extract<PaymentEvent, { type: 'PaymentDeclined' }>['data']['failure'];

/**
 * What happens to one order's payment: every decision is an event on the payment's stream (the
 * order contract's PaymentEvent), and the payment's state is the fold of them.
 */
export type PaymentDecision = PaymentEvent;
