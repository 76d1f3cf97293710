import { MongoClient, type Db } from 'mongodb';
import { mongodbUri, type Config } from '../config';
import { failWritesOnClosedConnections } from './mongo-closed-connections';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/** Connects lazily-failing: the driver retries server selection for up to `serverSelectionTimeoutMS`. */
export async function connectMongo(config: Config): Promise<Mongo> {
  failWritesOnClosedConnections();
  const client = new MongoClient(mongodbUri(config), {
    serverSelectionTimeoutMS: 5_000,
    appName: 'temporal-order-platform',
  });
  await client.connect();
  return { client, db: client.db(config.MONGODB_DB), close: () => client.close() };
}
