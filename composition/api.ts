import type { Client, Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import {
  createInventoryCatalog,
  createOrderCustomers,
  type InventoryCatalog,
  type OrderCustomers,
} from '../activities/services';
import type { Config } from '../config';
import type { Logger } from '../infra/logger';
import type { Mongo } from '../infra/mongo';
import { commandParts, masterKeysFor, openDatabase, temporalClient, type CommandParts } from './shared';

/** Everything the API is built from (api/app.ts, AppDeps): each piece once per process. */
export interface ApiParts extends CommandParts {
  client: Client;
  db: Db;
  config: Config;
  log: Logger;
  catalog: InventoryCatalog;
  customers: OrderCustomers;
}

/** The API's pieces on an open database and a client: one event store, one account service, one catalog. */
export function apiParts({
  db,
  config,
  log,
  client,
}: {
  db: Db;
  config: Config;
  log: Logger;
  client: Client;
}): ApiParts {
  const parts = commandParts(db, { masterKeys: masterKeysFor(config, log) });
  return {
    ...parts,
    client,
    db,
    config,
    log,
    catalog: createInventoryCatalog({ db, events: parts.store }),
    customers: createOrderCustomers(db, parts.store),
  };
}

/**
 * The API process's root: the database, a lazy Temporal client (the API starts, and /health
 * reports the outage, even when Temporal is briefly away) and the pieces built on them.
 */
export async function composeApi(
  config: Config,
  log: Logger,
): Promise<{ mongo: Mongo; connection: Connection; parts: ApiParts }> {
  const mongo = await openDatabase(config);
  const { client, connection } = await temporalClient(config, { lazy: true });
  return { mongo, connection, parts: apiParts({ db: mongo.db, config, log, client }) };
}
