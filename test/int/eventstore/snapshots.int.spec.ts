import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Evolver, StoredEvent } from '../../../eventstore';
import { freshStore, type FreshStore } from './fresh-db';

interface Tally {
  total: number;
  count: number;
  last: string | null;
}

const tally: Evolver<Tally> = {
  initialState: () => ({ total: 0, count: 0, last: null }),
  evolve: (s, e: StoredEvent) => ({
    total: s.total + (e.data as { n: number }).n,
    count: s.count + 1,
    last: e.metadata.timestamp.toISOString(),
  }),
};

describe('event store: snapshots', () => {
  let fresh: FreshStore;
  const streamId = 'tally-1';
  let events: StoredEvent[];

  beforeAll(async () => {
    fresh = await freshStore();
    // 250 events in appends of 1 to 7 events, so snapshot points fall inside and between batches.
    let version = 0;
    let n = 0;
    while (version < 250) {
      const size = Math.min((version % 7) + 1, 250 - version);
      const batch = Array.from({ length: size }, () => ({ type: 'Counted', data: { n: ++n } }));
      version = (await fresh.store.append(streamId, batch, { expectedVersion: version, streamType: 'tally' }))
        .nextExpectedVersion;
    }
    events = await fresh.store.readStream(streamId);
  });
  afterAll(async () => {
    await fresh?.close();
  });

  const fullFold = (upTo = Infinity) =>
    events.filter((e) => e.version <= upTo).reduce(tally.evolve, tally.initialState());

  it('writes a snapshot once enough events were folded, and rebuilds the same state from it', async () => {
    const first = await fresh.store.aggregateStream(streamId, tally, { snapshotEvery: 100 });
    expect(first).toMatchObject({ version: 250, snapshotVersion: null, eventsFolded: 250, state: fullFold() });
    const snapshots = fresh.db.collection('snapshots');
    expect(await snapshots.find({ streamId }).project({ _id: 0, version: 1, schemaVersion: 1 }).toArray()).toEqual([
      { version: 250, schemaVersion: 1 },
    ]);

    const second = await fresh.store.aggregateStream(streamId, tally, { snapshotEvery: 100 });
    expect(second).toMatchObject({
      version: 250,
      snapshotVersion: 250,
      eventsFolded: 0,
      position: events.at(-1)!.position,
    });
    expect(second.state).toEqual(first.state);
  });

  it('folds only the events after the snapshot and matches the full fold after more appends', async () => {
    const more = Array.from({ length: 30 }, (_, i) => ({ type: 'Counted', data: { n: 1000 + i } }));
    await fresh.store.append(streamId, more, { expectedVersion: 250, streamType: 'tally' });
    events = await fresh.store.readStream(streamId);
    const result = await fresh.store.aggregateStream(streamId, tally, { snapshotEvery: 100 });
    expect(result).toMatchObject({ version: 280, snapshotVersion: 250, eventsFolded: 30 });
    expect(result.state).toEqual(fullFold());
    const without = await fresh.store.aggregateStream(streamId, tally, { useSnapshots: false });
    expect(without).toMatchObject({ snapshotVersion: null, eventsFolded: 280 });
    expect(without.state).toEqual(result.state);
  });

  it('uses a snapshot for time travel only when it is not later than the point asked for', async () => {
    const atVersion = await fresh.store.aggregateStream(streamId, tally, { toVersion: 120 });
    expect(atVersion).toMatchObject({ version: 120, snapshotVersion: null, eventsFolded: 120, state: fullFold(120) });
    const afterSnapshot = await fresh.store.aggregateStream(streamId, tally, { toVersion: 260 });
    expect(afterSnapshot).toMatchObject({ version: 260, snapshotVersion: 250, eventsFolded: 10, state: fullFold(260) });

    const until = events[59]!.metadata.timestamp;
    const expected = events.filter((e) => e.metadata.timestamp <= until);
    const byTime = await fresh.store.aggregateStream(streamId, tally, { until });
    expect(byTime).toMatchObject({
      snapshotVersion: null,
      version: expected.at(-1)!.version,
      state: fullFold(expected.at(-1)!.version),
    });
    const lateInstant = events.at(-1)!.metadata.timestamp;
    expect(await fresh.store.aggregateStream(streamId, tally, { until: lateInstant })).toMatchObject({
      snapshotVersion: 250,
      version: 280,
    });
    // Time travel never writes snapshots.
    expect(await fresh.db.collection('snapshots').countDocuments({ streamId })).toBe(1);
  });

  it('ignores snapshots taken with another schema version', async () => {
    const v2: Evolver<Tally> = { ...tally, snapshotSchemaVersion: 2 };
    const result = await fresh.store.aggregateStream(streamId, v2, {});
    expect(result).toMatchObject({ snapshotVersion: null, eventsFolded: 280, state: fullFold() });
  });

  it('revives state through toSnapshot / fromSnapshot', async () => {
    const dated: Evolver<{ at: Date | null; count: number }> = {
      initialState: () => ({ at: null, count: 0 }),
      evolve: (s, e) => ({ at: e.metadata.timestamp, count: s.count + 1 }),
      snapshotSchemaVersion: 7,
      toSnapshot: (s) => ({ at: s.at?.toISOString() ?? null, count: s.count }),
      fromSnapshot: (raw) => {
        const r = raw as { at: string | null; count: number };
        return { at: r.at ? new Date(r.at) : null, count: r.count };
      },
    };
    const first = await fresh.store.aggregateStream(streamId, dated, { snapshotEvery: 10 });
    const stored = await fresh.db.collection('snapshots').findOne({ streamId, schemaVersion: 7 });
    expect(typeof (stored!.state as { at: unknown }).at).toBe('string');
    const second = await fresh.store.aggregateStream(streamId, dated, { snapshotEvery: 10 });
    expect(second.snapshotVersion).toBe(280);
    expect(second.state).toEqual(first.state);
    expect(second.state.at).toBeInstanceOf(Date);
  });

  it('goes on from a fold the caller holds, for every point the fold may have reached, reading events only', async () => {
    const reads: string[] = [];
    const watched = await freshStore({ monitorCommands: true });
    watched.client.on('commandStarted', (e) => reads.push(`${e.commandName} ${String(e.command[e.commandName])}`));
    try {
      let version = 0;
      for (let n = 1; n <= 60; n++)
        version = (
          await watched.store.append('held-1', [{ type: 'Counted', data: { n } }], {
            expectedVersion: version,
            streamType: 'tally',
          })
        ).nextExpectedVersion;
      const log = await watched.store.readStream('held-1');
      const fold = (upTo: number) => log.filter((e) => e.version <= upTo).reduce(tally.evolve, tally.initialState());
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 60 }), async (heldAt) => {
          const held = await watched.store.aggregateStream('held-1', tally, { toVersion: heldAt, useSnapshots: false });
          reads.length = 0;
          const resumed = await watched.store.aggregateStream('held-1', tally, { from: held });
          expect(resumed).toMatchObject({
            version: 60,
            position: log.at(-1)!.position,
            eventsFolded: 60 - held.version,
            state: fold(60),
          });
          // One read of the events; no snapshot lookup.
          expect(reads).toEqual(['find events']);
        }),
        { numRuns: 20 },
      );

      // A fold of a log that is no longer there (restored from a backup, dropped and refilled) is not trusted.
      const held = await watched.store.aggregateStream('held-1', tally, {});
      await watched.db.collection('events').deleteMany({ streamId: 'held-1', version: { $gte: 40 } });
      await watched.db.collection('counters').updateOne({ _id: 'position' as never }, { $inc: { position: 5 } });
      // Refilled past the held version, so only the positions tell the two logs apart.
      const refill = Array.from({ length: 25 }, (_, i) => ({ type: 'Counted', data: { n: 1000 + i } }));
      const refilled = await watched.store.append('held-1', refill, { expectedVersion: 39, streamType: 'tally' });
      const after = await watched.store.readStream('held-1');
      expect(after.at(-1)!).toMatchObject({ version: 64, position: refilled.lastPosition });
      const again = await watched.store.aggregateStream('held-1', tally, { from: held });
      expect(again).toMatchObject({
        version: 64,
        eventsFolded: 64,
        state: after.reduce(tally.evolve, tally.initialState()),
      });

      // A chain of held folds keeps writing snapshots when they are due.
      let chain = await watched.store.aggregateStream('held-2', tally, { snapshotEvery: 10 });
      for (let n = 1; n <= 25; n++) {
        await watched.store.append('held-2', [{ type: 'Counted', data: { n } }], { streamType: 'tally' });
        chain = await watched.store.aggregateStream('held-2', tally, { snapshotEvery: 10, from: chain });
      }
      expect(
        await watched.db.collection('snapshots').find({ streamId: 'held-2' }).project({ _id: 0, version: 1 }).toArray(),
      ).toEqual([{ version: 10 }, { version: 20 }]);
      expect(chain).toMatchObject({ version: 25, snapshotVersion: 20 });
    } finally {
      await watched.close();
    }
  });

  it('gives the initial state for a stream that does not exist', async () => {
    expect(await fresh.store.aggregateStream('nobody', tally, { snapshotEvery: 1 })).toEqual({
      state: tally.initialState(),
      version: 0,
      position: null,
      timestamp: null,
      snapshotVersion: null,
      eventsFolded: 0,
    });
  });
});
