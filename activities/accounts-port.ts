import {
  ACCOUNT_STREAM_TYPE,
  accountStreamId,
  AccountNotFoundError,
  InsufficientFundsError,
  InvalidAmountError,
  type AccountService,
} from '../domain/accounts';
import type { EventStore } from '../eventstore';
import type { AccountsPort } from './payment';

/** Payment's view of the event-sourced accounts: debits and refunds correlated to the order. */
export function accountsPort(accounts: AccountService, store: EventStore): AccountsPort {
  return {
    async debit({ accountId, amount, eventId, orderId, correlationId, together }) {
      await accounts.withdraw({
        accountId,
        amount,
        reason: 'order-payment',
        reference: orderId,
        eventId,
        metadata: { correlationId },
        together,
      });
    },
    async credit({ accountId, amount, eventId, orderId, correlationId }) {
      await accounts.refund({ accountId, amount, orderId, eventId, metadata: { correlationId } });
    },
    async hasEvent(eventId) {
      return (await store.findEvent(eventId)) !== null;
    },
    async debitOf(eventId) {
      const event = await store.findEvent(eventId);
      if (event?.streamType !== ACCOUNT_STREAM_TYPE || event.type !== 'Withdrawn') return null;
      return {
        accountId: event.streamId.slice(accountStreamId('').length),
        amount: (event.data as { amount: number }).amount,
      };
    },
    businessFailureOf(err) {
      if (err instanceof InsufficientFundsError) return 'InsufficientFunds';
      if (err instanceof AccountNotFoundError) return 'AccountNotFound';
      if (err instanceof InvalidAmountError) return 'InvalidAmount';
      return null;
    },
  };
}
