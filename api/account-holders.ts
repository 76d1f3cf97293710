import { LRUCache } from 'lru-cache';
import type { AccountService } from '../domain/accounts';

/** How many accounts' holders an API process remembers. */
const REMEMBERED = 10_000;

export interface AccountHolder {
  /** The holder's pseudonym (null for an account opened before pseudonyms). */
  customer: string | null;
}

/**
 * Who holds an account, remembered once seen open: that an account exists and who holds it are
 * fixed by its first event (AccountOpened; no event closes an account or changes its holder), so
 * placing an order need not read the account's stream again each time. An account not found is
 * not remembered (it may be opened the next moment). What is kept is the pseudonym the stream
 * records, never a key: whether the caller still has that pseudonym (an erasure unlinks it) is
 * looked up on every request, as before.
 */
export function accountHolders(accounts: Pick<AccountService, 'getAccount'>, max = REMEMBERED) {
  const known = new LRUCache<string, AccountHolder>({ max });
  return {
    async of(accountId: string): Promise<AccountHolder | null> {
      const remembered = known.get(accountId);
      if (remembered) return remembered;
      const account = await accounts.getAccount(accountId);
      if (!account) return null;
      const holder = { customer: account.customer };
      known.set(accountId, holder);
      return holder;
    },
  };
}

export type AccountHolders = ReturnType<typeof accountHolders>;
