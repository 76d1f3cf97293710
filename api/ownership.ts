import type { Db } from 'mongodb';
import { orderCollection } from '../activities/services';
import { createAccountService } from '../domain/accounts';
import { createEventStore } from '../eventstore';
import type { Ownership } from './policed-router';

/**
 * Answers "whose is it?" for the access policy from the strongly consistent sources: the order
 * service's own document (written by the saga's first step) and the account's event stream.
 */
export function createOwnership(db: Db): Ownership {
  const accounts = createAccountService({ store: createEventStore(db) });
  const orders = orderCollection(db);
  return {
    async orderCustomer(orderId) {
      return (await orders.findOne({ _id: orderId }, { projection: { customerId: 1 } }))?.customerId ?? null;
    },
    async accountHolder(accountId) {
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(accountId)) return null;
      return (await accounts.getAccount(accountId))?.customerId ?? null;
    },
  };
}
