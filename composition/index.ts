import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureServiceIndexes } from '../activities/indexes';
import { ensureApiIndexes } from '../api/indexes';
import { temporalAddress, type Config } from '../config';
import { temporalConnectOptions } from '../config/temporal-profile';
import { ensureEventStoreIndexes } from '../eventstore';
import { dataConverter } from '../infra/data-converter';
import { connectMongo, type Mongo } from '../infra/mongo';
import { registerSearchAttributes } from '../infra/search-attributes';
import { ensureSubjectKeyIndexes, forgetLegacySubjectIds, masterKeysOf } from '../infra/personal-data';

/**
 * The composition root: what every process builds the same way. Entry points (api/main.ts,
 * workers/main.ts, readside/main.ts, the in-process system) only pick what they run.
 */

/** The database with every index any part of the system relies on (idempotent: each process may call it). */
export async function openDatabase(config: Config): Promise<Mongo> {
  const mongo = await connectMongo(config);
  await ensureEventStoreIndexes(mongo.db);
  await ensureServiceIndexes(mongo.db);
  await ensureApiIndexes(mongo.db);
  await ensureSubjectKeyIndexes(mongo.db);
  // Before any process serves: no data key is left under a plain customer id (infra/personal-data/legacy-keys.ts).
  await forgetLegacySubjectIds(mongo.db, masterKeysOf(config));
  return mongo;
}

/** A worker's connection, with the sagas' search attributes registered in the namespace. */
export async function workerConnection(config: Config): Promise<NativeConnection> {
  const connection = await NativeConnection.connect(temporalConnectOptions(temporalAddress(config)));
  await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  return connection;
}

/**
 * A Temporal client with the platform's data converter (payload encryption). `lazy`: the process
 * starts (and reports the outage on /health) even when Temporal is briefly away.
 */
export async function temporalClient(config: Config, options: { lazy?: boolean } = {}): Promise<{ client: Client; connection: Connection }> {
  const connect = temporalConnectOptions(temporalAddress(config));
  const connection = options.lazy ? Connection.lazy(connect) : await Connection.connect(connect);
  return { connection, client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(config) }) };
}
