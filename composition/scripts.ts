import type { Db } from 'mongodb';
import { createAccountService, type AccountService } from '../domain/accounts';
import { createEventStore, type EventStore } from '../eventstore';

/** What the operators' scripts (rebuild, drill) read and write through: one event store, one account service. */
export function scriptParts(db: Db): { store: EventStore; accounts: AccountService } {
  const store = createEventStore(db);
  return { store, accounts: createAccountService({ store }) };
}
