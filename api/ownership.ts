import type { OrderCustomers } from '../activities/services';
import type { AccountService } from '../domain/accounts';
import type { PersonalData } from '../infra/personal-data';
import type { Ownership } from './policed-router';

/**
 * Answers "is it theirs?" for the access policy from the strongly consistent sources: the order's
 * and the account's event streams (never the read models, which may lag behind a new order). Both
 * record the customer by pseudonym only, so the caller's customer id is turned into its pseudonym
 * and compared; a customer with no key (never seen, or erased) owns nothing.
 */
export function createOwnership({
  accounts,
  customers: orders,
  personalData,
}: {
  accounts: Pick<AccountService, 'getAccount'>;
  customers: OrderCustomers;
  personalData: PersonalData;
}): Ownership {
  const owns = async (recorded: Promise<string | null | undefined>, customerId: string) => {
    const [pseudonym, mine] = await Promise.all([recorded, personalData.pseudonymIfKnown(customerId)]);
    return typeof pseudonym === 'string' && pseudonym === mine;
  };
  return {
    isOrderCustomer(orderId, customerId) {
      return owns(
        orders.of(orderId).then((o) => o?.customer),
        customerId,
      );
    },
    async isAccountHolder(accountId, customerId) {
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(accountId)) return false;
      return owns(
        accounts.getAccount(accountId).then((a) => a?.customer),
        customerId,
      );
    },
  };
}
