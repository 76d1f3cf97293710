import type { Db } from 'mongodb';
import type { PersonalData } from '../infra/personal-data';
import type { AccountService } from '../domain/accounts';
import type { EventStore } from '../eventstore';
import { accountsPort } from './accounts-port';
import { createBreakerActivities } from './breaker-activities';
import { createBreakers, type Breakers } from './breakers';
import { createDeadLetterActivities } from './dead-letters';
import { createInventoryActivities } from './inventory';
import { createOrderActivities } from './order';
import { createPaymentActivities } from './payment';
import { createShippingActivities } from './shipping';

/**
 * All activities: one module per service (Order, Payment, Inventory, Shipping) plus dead letters.
 * Built from their dependencies (composition/worker.ts builds them once per worker; tests hand in
 * their own). The event store is the worker's: every event a service appends says which saga step
 * wrote it (./temporal-metadata.ts).
 */
export function createActivities({
  db,
  events,
  accounts: accountService,
  personalData,
  breakers = createBreakers({ db, store: events }),
}: {
  db: Db;
  events: EventStore;
  accounts: AccountService;
  personalData: PersonalData;
  /** The circuit breakers the worker's interceptor guards the steps with (workers/breaker-interceptor.ts). */
  breakers?: Breakers;
}) {
  const deps = { db, events };
  const accounts = accountsPort(accountService, events);
  return {
    ...createOrderActivities(deps),
    ...createPaymentActivities({ ...deps, accounts }),
    ...createInventoryActivities(deps),
    ...createShippingActivities({ ...deps, open: personalData.open }),
    ...createDeadLetterActivities(deps),
    ...createBreakerActivities(breakers),
  };
}

export type Activities = ReturnType<typeof createActivities>;
