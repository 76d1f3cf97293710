import type { Db } from 'mongodb';
import { createPersonalData, DEVELOPMENT_MASTER_KEYS, type MasterKeys } from '../infra/personal-data';
import { createAccountService } from '../domain/accounts';
import { createEventStore } from '../eventstore';
import { accountsPort } from './accounts-port';
import { createDeadLetterActivities } from './dead-letters';
import { createInventoryActivities } from './inventory';
import { createOrderActivities } from './order';
import { createPaymentActivities } from './payment';
import { createShippingActivities } from './shipping';
import { temporalMetadata } from './temporal-metadata';

/**
 * All activities: one module per service (Order, Payment, Inventory, Shipping) plus dead letters.
 * Built from their dependencies so tests can hand in their own database.
 */
export function createActivities({ db, masterKeys }: { db: Db; masterKeys?: MasterKeys }) {
  const personalData = createPersonalData(db, masterKeys ?? DEVELOPMENT_MASTER_KEYS);
  // Every event a service appends says which saga step wrote it.
  const events = createEventStore(db, { ambientMetadata: temporalMetadata });
  const deps = { db, events };
  const accounts = accountsPort(createAccountService({ store: events }), events);
  return {
    ...createOrderActivities(deps),
    ...createPaymentActivities({ ...deps, accounts }),
    ...createInventoryActivities(deps),
    ...createShippingActivities({ ...deps, open: personalData.open }),
    ...createDeadLetterActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
