import type { Db } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLeases, LEASE_RENEW_MS } from '../../../readside/engine/leases';

type Lease = { _id: string; holder: string; epoch: number; expiresAt: Date };
type Filter = { _id: string; holder: string; epoch: number };

/** A leases collection in memory that records the commands it gets. */
function leaseStore() {
  const docs = new Map<string, Lease>();
  const commands: string[] = [];
  const matches = (f: Filter) => docs.get(f._id)?.holder === f.holder && docs.get(f._id)?.epoch === f.epoch;
  const collection = {
    insertOne(doc: Lease) {
      commands.push('insert');
      if (docs.has(doc._id)) return Promise.reject(Object.assign(new Error('E11000'), { code: 11000 }));
      docs.set(doc._id, { ...doc });
      return Promise.resolve({});
    },
    updateOne(filter: Filter, update: { $set: { expiresAt: Date } }) {
      commands.push('update');
      if (!matches(filter)) return Promise.resolve({ matchedCount: 0 });
      docs.get(filter._id)!.expiresAt = update.$set.expiresAt;
      return Promise.resolve({ matchedCount: 1 });
    },
    bulkWrite(ops: Array<{ updateOne: { filter: Filter; update: { $set: { expiresAt: Date } } } }>) {
      commands.push(`bulk of ${ops.length}`);
      let matchedCount = 0;
      for (const { updateOne } of ops)
        if (matches(updateOne.filter)) {
          docs.get(updateOne.filter._id)!.expiresAt = updateOne.update.$set.expiresAt;
          matchedCount++;
        }
      return Promise.resolve({ matchedCount });
    },
  };
  const db = { collection: () => collection } as unknown as Db;
  return { db, docs, commands };
}

afterEach(() => vi.useRealTimers());

describe('leases of several units', () => {
  it('are renewed together, one command for all of them', async () => {
    vi.useFakeTimers();
    const { db, commands } = leaseStore();
    const leases = createLeases(db, 'me');
    const units = ['a', 'b', 'c', 'd'];
    expect(await leases.holdAll(units)).toEqual([1, 1, 1, 1]);
    commands.length = 0;
    expect(await leases.holdAll(units)).toEqual([1, 1, 1, 1]);
    expect(commands).toEqual([]); // not due yet
    vi.advanceTimersByTime(LEASE_RENEW_MS);
    expect(await leases.holdAll(units)).toEqual([1, 1, 1, 1]);
    expect(commands).toEqual(['bulk of 4']);
  });

  it('find out, one by one, which lease another process took over', async () => {
    vi.useFakeTimers();
    const { db, docs, commands } = leaseStore();
    const leases = createLeases(db, 'me');
    await leases.holdAll(['a', 'b', 'c']);
    docs.set('b', { _id: 'b', holder: 'other', epoch: 2, expiresAt: new Date(Date.now() + 60_000) });
    vi.advanceTimersByTime(LEASE_RENEW_MS);
    commands.length = 0;
    expect(await leases.holdAll(['a', 'b', 'c'])).toEqual([1, null, 1]);
    expect(commands).toEqual(['bulk of 3', 'update', 'update', 'update']);
  });
});
