import { Client, Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import { temporalAddress, type Config } from '../config';
import { temporalConnectOptions } from '../config/temporal-profile';
import { createAccountService, type AccountService } from '../domain/accounts';
import { createEventStore, ensureEventStoreIndexes, type EventStore, type EventStoreOptions } from '../eventstore';
import { ensureServiceIndexes } from '../activities/indexes';
import { dataConverter } from '../infra/data-converter';
import { ensureIdempotencyKeyIndexes } from '../infra/idempotency-keys';
import type { Logger } from '../infra/logger';
import { connectMongo, type Mongo } from '../infra/mongo';
import {
  createPersonalData,
  ensureSubjectKeyIndexes,
  forgetLegacySubjectIds,
  masterKeysOf,
  type MasterKeys,
  type PersonalData,
} from '../infra/personal-data';

/**
 * What every process builds the same way. Each process kind has its own root beside this one
 * (api.ts, worker.ts, readside.ts, scripts.ts) that builds its shared pieces once and hands them
 * in; entry points only pick what they run.
 */

/** The database with every index any part of the system relies on (idempotent: each process may call it). */
export async function openDatabase(config: Config): Promise<Mongo> {
  const mongo = await connectMongo(config);
  await ensureEventStoreIndexes(mongo.db);
  await ensureServiceIndexes(mongo.db);
  await ensureIdempotencyKeyIndexes(mongo.db);
  await ensureSubjectKeyIndexes(mongo.db);
  // Before any process serves: no data key is left under a plain customer id (infra/personal-data/legacy-keys.ts).
  await forgetLegacySubjectIds(mongo.db, masterKeysOf(config));
  return mongo;
}

/**
 * A Temporal client with the platform's data converter (payload encryption). `lazy`: the process
 * starts (and reports the outage on /health) even when Temporal is briefly away.
 */
export async function temporalClient(
  config: Config,
  options: { lazy?: boolean } = {},
): Promise<{ client: Client; connection: Connection }> {
  const connect = temporalConnectOptions(temporalAddress(config));
  const connection = options.lazy ? Connection.lazy(connect) : await Connection.connect(connect);
  return {
    connection,
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) }),
  };
}

/** The master keys of personal data, a generated development key announced on the process's log. */
export const masterKeysFor = (config: Config, log: Logger): MasterKeys =>
  masterKeysOf(config, (message) => log.warn(message));

/**
 * The command side's pieces a process shares: one event store, one account service (one cache of
 * kept folds per process) and one personal-data service.
 */
export interface CommandParts {
  store: EventStore;
  accounts: AccountService;
  personalData: PersonalData;
}

export function commandParts(db: Db, options: { masterKeys: MasterKeys; store?: EventStoreOptions }): CommandParts {
  const store = createEventStore(db, options.store);
  return { store, accounts: createAccountService({ store }), personalData: createPersonalData(db, options.masterKeys) };
}
