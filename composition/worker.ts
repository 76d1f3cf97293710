import { NativeConnection } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createActivities, type Activities } from '../activities';
import { createBreakers, type Breakers } from '../activities/breakers';
import { createSettleActivities } from '../activities/settle-order';
import { temporalMetadata } from '../activities/temporal-metadata';
import type { BreakerSettings } from '../domain/breakers';
import { temporalAddress, type Config } from '../config';
import { temporalConnectOptions } from '../config/temporal-profile';
import { DEVELOPMENT_MASTER_KEYS, type MasterKeys } from '../infra/personal-data';
import { registerSearchAttributes } from '../infra/search-attributes';
import { commandParts } from './shared';

/** A worker's connection, with the sagas' search attributes registered in the namespace. */
export async function workerConnection(config: Config): Promise<NativeConnection> {
  const connection = await NativeConnection.connect(temporalConnectOptions(temporalAddress(config)));
  await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  return connection;
}

/**
 * The activities of a worker process, on one event store whose every append says which saga step
 * wrote it, one account service and one personal-data service.
 */
export function workerActivities(options: { db: Db; masterKeys?: MasterKeys }): Activities {
  return workerParts(options).activities;
}

/** The activities and, on the same event store, the circuit breakers the worker guards their steps with. */
export function workerParts({
  db,
  masterKeys = DEVELOPMENT_MASTER_KEYS,
  breakers: settings,
}: {
  db: Db;
  masterKeys?: MasterKeys;
  breakers?: BreakerSettings;
}): { activities: Activities; breakers: Breakers } {
  const { store, accounts, personalData } = commandParts(db, {
    masterKeys,
    store: { ambientMetadata: temporalMetadata },
  });
  const breakers = createBreakers({ db, store, settings });
  return {
    activities: {
      ...createActivities({ db, events: store, accounts, personalData, breakers }),
      // The settle workflow's own (workflows/settle-order.ts); it compensates with the services' activities.
      ...createSettleActivities({ db, events: store }),
    },
    breakers,
  };
}
