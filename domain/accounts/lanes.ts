import { Mutex } from 'async-mutex';

/**
 * Work on one key at a time in this process, in the order it arrives; different keys do not wait
 * for each other, and a key with nothing running or waiting holds no memory.
 */
export function keyedLanes() {
  const lanes = new Map<string, { mutex: Mutex; users: number }>();
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { mutex: new Mutex(), users: 0 }));
      lane.users++;
      try {
        return await lane.mutex.runExclusive(work);
      } finally {
        if (--lane.users === 0) lanes.delete(key);
      }
    },
    /** Keys with work running or waiting (for tests). */
    get size() {
      return lanes.size;
    },
  };
}
