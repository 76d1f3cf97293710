import { type Config } from '../config';
import { obtainMongo, type MongoServer } from './mongodb';
import { type Progress } from './run-command';
import { obtainTemporal, type TemporalServer } from './temporal';

export interface Servers {
  temporal: TemporalServer;
  mongo: MongoServer;
  stop(): Promise<void>;
}

/** Obtains Temporal and MongoDB side by side (their first-run builds are independent). */
export async function obtainServers(
  config: Config,
  mode: 'persistent' | 'ephemeral',
  progress: Progress,
): Promise<Servers> {
  const [temporal, mongo] = await Promise.allSettled([
    obtainTemporal({ config, mode, progress }),
    obtainMongo({ config, mode, progress }),
  ]);
  if (temporal.status === 'rejected' || mongo.status === 'rejected') {
    // Do not leave the one that did start running.
    if (temporal.status === 'fulfilled') await temporal.value.stop().catch(() => {});
    if (mongo.status === 'fulfilled') await mongo.value.stop().catch(() => {});
    const reasons = [temporal, mongo]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => String(r.reason?.message ?? r.reason));
    throw new Error(reasons.join('\n'));
  }
  return {
    temporal: temporal.value,
    mongo: mongo.value,
    stop: async () => {
      await Promise.allSettled([temporal.value.stop(), mongo.value.stop()]);
    },
  };
}

export type { Progress };
