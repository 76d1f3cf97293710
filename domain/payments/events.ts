import type { PaymentEvent } from '../orders/events';

/** How a charge can be refused by the account (the saga's business failure types for it). */
export type DeclineFailure = 'InsufficientFunds' | 'AccountNotFound' | 'InvalidAmount';

type Event<Type extends string, Data> = { type: Type; data: Data };

/**
 * What happens to one order's payment. PaymentCompleted and PaymentRefunded go to the log (the
 * order contract's PaymentEvent); the others are kept only in the Payment service's own record,
 * whose status is the fold of them all.
 */
export type PaymentDecision =
  | PaymentEvent
  | Event<'ChargeStarted', { orderId: string; accountId: string; amount: number }>
  | Event<'PaymentDeclined', { orderId: string; failure: DeclineFailure; reason: string }>
  | Event<'PaymentVoided', { orderId: string; accountId: string }>;
