import { NativeConnection } from '@temporalio/worker';
import type { Db } from 'mongodb';
import { createActivities, type Activities } from '../activities';
import { temporalMetadata } from '../activities/temporal-metadata';
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
export function workerActivities({
  db,
  masterKeys = DEVELOPMENT_MASTER_KEYS,
}: {
  db: Db;
  masterKeys?: MasterKeys;
}): Activities {
  const { store, accounts, personalData } = commandParts(db, {
    masterKeys,
    store: { ambientMetadata: temporalMetadata },
  });
  return createActivities({ db, events: store, accounts, personalData });
}
