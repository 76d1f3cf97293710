import type { Collection, Db } from 'mongodb';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The database, with every checkpoint write (`updateOne` on `checkpoints`) counted and the highest
 * position the database confirmed recorded; each write first waits `delayMs`, for a slow store.
 */
export function recordingCheckpoints(db: Db, delayMs = 0) {
  const counted = { writes: 0, confirmed: 0 };
  const proxy = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== 'collection') return Reflect.get(target, key, receiver);
      return (name: string, options?: object) => {
        const collection = target.collection(name, options);
        if (name !== 'checkpoints') return collection;
        return new Proxy(collection, {
          get(c, k, r) {
            if (k !== 'updateOne') return Reflect.get(c, k, r);
            return async (...args: Parameters<Collection['updateOne']>) => {
              if (delayMs > 0) await sleep(delayMs);
              const result = await c.updateOne(...args);
              const position = (args[1] as { $set?: { position?: number } }).$set?.position;
              if (typeof position === 'number' && result.matchedCount > 0) {
                counted.confirmed = Math.max(counted.confirmed, position);
                counted.writes++;
              }
              return result;
            };
          },
        });
      };
    },
  });
  return { db: proxy, counted };
}
