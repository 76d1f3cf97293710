import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config';
import { obtainMongo } from '../../servers/mongodb';
import { obtainTemporal } from '../../servers/temporal';
import type { ServerAddresses } from './stack';

/**
 * A Temporal dev server and a MongoDB server of their own, each keeping its data in a file in a new
 * temporary directory (as `npm start` keeps it under DATA_DIR), for one call of `fn`; both stopped
 * and the directory removed afterwards. Servers given by TEMPORAL_ADDRESS or MONGODB_URI are used
 * as they are.
 */
export async function withDiskServers<T>(
  config: Config,
  progress: (line: string) => void,
  fn: (servers: ServerAddresses) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-disk-servers-'));
  // Both settle before anything else, so that one that started is stopped even when the other failed.
  const [temporal, mongo] = await Promise.allSettled([
    obtainTemporal({ config, mode: 'ephemeral', progress, dataDir }),
    obtainMongo({ config, mode: 'ephemeral', progress, dataDir }),
  ]);
  try {
    if (temporal.status === 'rejected') throw temporal.reason;
    if (mongo.status === 'rejected') throw mongo.reason;
    return await fn({
      temporalAddress: temporal.value.address,
      namespace: temporal.value.namespace,
      mongodbUri: mongo.value.uri,
    });
  } finally {
    const started = [temporal, mongo].flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    await Promise.allSettled(started.map((server) => server.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}
