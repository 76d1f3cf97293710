import type { Db } from 'mongodb';
import { orderCollection } from '../activities/services';
import { createAccountService } from '../domain/accounts';
import { createEventStore } from '../eventstore';
import type { PersonalData } from '../infra/personal-data';
import type { Ownership } from './policed-router';

/**
 * Answers "is it theirs?" for the access policy from the strongly consistent sources: the order
 * service's own document (written by the saga's first step) and the account's event stream. Both
 * record the customer by pseudonym only, so the caller's customer id is turned into its pseudonym
 * and compared; a customer with no key (never seen, or erased) owns nothing.
 */
export function createOwnership(db: Db, personalData: PersonalData): Ownership {
  const accounts = createAccountService({ store: createEventStore(db) });
  const orders = orderCollection(db);
  const owns = async (recorded: Promise<string | null | undefined>, customerId: string) => {
    const [pseudonym, mine] = await Promise.all([recorded, personalData.pseudonymIfKnown(customerId)]);
    return typeof pseudonym === 'string' && pseudonym === mine;
  };
  return {
    isOrderCustomer(orderId, customerId) {
      return owns(orders.findOne({ _id: orderId }, { projection: { customer: 1 } }).then((o) => o?.customer), customerId);
    },
    async isAccountHolder(accountId, customerId) {
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(accountId)) return false;
      return owns(accounts.getAccount(accountId).then((a) => a?.customer), customerId);
    },
  };
}
