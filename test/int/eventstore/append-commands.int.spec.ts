import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WrongExpectedVersionError, type EventStore, type ExpectedVersion, type NewEvent } from '../../../eventstore';
import { freshStore, realEventCount, type FreshStore } from './fresh-db';

/**
 * What an append costs in MongoDB commands, counted by the driver's command monitoring: on the
 * usual path (a first append that succeeds) it is the position reservation and the insert, and
 * nothing else, whatever it expects and whether it carries ids of the caller's.
 */
describe('event store: an append on the usual path is a reservation and an insert', () => {
  let fresh: FreshStore;
  /** Another process: a store of its own on the same database, with no memory of this one's streams. */
  let other: EventStore;
  const commands: string[] = [];
  const ignored = new Set([
    'hello',
    'isMaster',
    'ismaster',
    'ping',
    'buildInfo',
    'endSessions',
    'createIndexes',
    'listIndexes',
  ]);

  beforeAll(async () => {
    fresh = await freshStore({ monitorCommands: true });
    fresh.client.on('commandStarted', (e: CommandStartedEvent) => {
      if (!ignored.has(e.commandName) && e.databaseName === fresh.db.databaseName)
        commands.push(`${e.commandName} ${String((e.command as Record<string, unknown>)[e.commandName])}`);
    });
    other = fresh.storeWith({});
    await other.ensureIndexes();
  });
  afterAll(() => fresh?.close());

  /** The commands one append sends, by name and collection. */
  async function counted(store: EventStore, streamId: string, events: NewEvent[], expectedVersion: ExpectedVersion) {
    commands.length = 0;
    const result = await store.append(streamId, events, { streamType: 'counted', expectedVersion });
    return { result, commands: [...commands] };
  }
  const one = (id?: string): NewEvent[] => [{ type: 'Counted', data: { id }, ...(id && { eventId: id }) }];
  const usualPath = ['findAndModify counters', 'insert events'];
  const gapMarkers = () => fresh.db.collection('events').countDocuments({ type: '$gap' });

  it('writes a new stream (no_stream, or 0) with caller ids in two commands', async () => {
    expect((await counted(fresh.store, 'new-1', one('new-1:opened'), 'no_stream')).commands).toEqual(usualPath);
    expect((await counted(fresh.store, 'new-2', one('new-2:opened'), 0)).commands).toEqual(usualPath);
    expect((await counted(fresh.store, 'new-3', one(), 'no_stream')).commands).toEqual(usualPath);
    expect((await fresh.store.readStream('new-1')).map((e) => e.version)).toEqual([1]);
  });

  it('appends at a numeric expected version in two commands: after its own append, and after a fold of a stream another process wrote', async () => {
    await counted(fresh.store, 'num-1', one('num-1:a'), 'no_stream');
    const next = await counted(fresh.store, 'num-1', one('num-1:b'), 1);
    expect(next.commands).toEqual(usualPath);
    expect(next.result.nextExpectedVersion).toBe(2);

    // Written elsewhere; this process folds the stream (as a service does before deciding), then appends.
    await other.append('num-2', [...one('num-2:a'), ...one('num-2:b')], {
      streamType: 'counted',
      expectedVersion: 'no_stream',
    });
    const fold = await fresh.store.aggregateStream(
      'num-2',
      { initialState: () => 0, evolve: (n) => n + 1 },
      { useSnapshots: false },
    );
    expect((await counted(fresh.store, 'num-2', one('num-2:c'), fold.version)).commands).toEqual(usualPath);

    // Folded from a snapshot with nothing after it: the snapshot's version is the head.
    await other.append('num-3', [...one('num-3:a'), ...one('num-3:b')], {
      streamType: 'counted',
      expectedVersion: 'no_stream',
    });
    const evolver = { initialState: () => 0, evolve: (n: number) => n + 1 };
    await other.aggregateStream('num-3', evolver, { snapshotEvery: 2 });
    const fromSnapshot = await fresh.store.aggregateStream('num-3', evolver);
    expect(fromSnapshot).toMatchObject({ snapshotVersion: 2, eventsFolded: 0 });
    expect((await counted(fresh.store, 'num-3', one('num-3:c'), 2)).commands).toEqual(usualPath);
    expect((await fresh.store.readStream('num-3')).map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('appends at any version in two commands when the stream head is known, ids or not', async () => {
    await counted(fresh.store, 'any-1', one('any-1:a'), 'any');
    expect((await counted(fresh.store, 'any-1', one('any-1:b'), 'any')).commands).toEqual(usualPath);
    expect((await counted(fresh.store, 'any-1', one(), 'any')).commands).toEqual(usualPath);
    expect((await fresh.store.readStream('any-1')).map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('answers a repeat it did not see committed with the original result, from the insert refused on its index, leaving no marker', async () => {
    for (const [streamId, expected] of [
      ['rep-1', 'no_stream'],
      ['rep-2', 0],
    ] as const) {
      const original = await other.append(streamId, one(`${streamId}:a`), {
        streamType: 'counted',
        expectedVersion: expected,
      });
      const head = await fresh.store.headPosition();
      const repeat = await counted(fresh.store, streamId, one(`${streamId}:a`), expected);
      expect(repeat.result).toEqual(original);
      // Its position went back to the counter: the next append takes it.
      expect(await fresh.store.headPosition()).toBe(head);
    }
    // A repeat at a numeric version, the stream moved on since.
    const original = await other.append('rep-1', one('rep-1:b'), { streamType: 'counted', expectedVersion: 1 });
    await other.append('rep-1', one('rep-1:c'), { streamType: 'counted', expectedVersion: 2 });
    await fresh.store.readStream('rep-1');
    expect((await counted(fresh.store, 'rep-1', one('rep-1:b'), 1)).result).toEqual(original);
    expect(await gapMarkers()).toBe(0);
  });

  it('refuses a stale expected version found on insert with WrongExpectedVersionError, writing nothing and leaving no marker', async () => {
    await fresh.store.append('conf-1', one('conf-1:a'), { streamType: 'counted', expectedVersion: 'no_stream' });
    await other.append('conf-1', one('conf-1:b'), { streamType: 'counted', expectedVersion: 1 });
    const events = await realEventCount(fresh.db);
    // This process knows the stream at 1 and writes version 2 straight away; the index refuses it.
    await expect(
      fresh.store.append('conf-1', one('conf-1:c'), { streamType: 'counted', expectedVersion: 1 }),
    ).rejects.toMatchObject({ expected: 1, actual: 2 });
    // Another process, which never saw the stream, assumes it new.
    await expect(
      other.append('conf-1', one('conf-1:d'), { streamType: 'counted', expectedVersion: 'no_stream' }),
    ).rejects.toMatchObject({ expected: 'no_stream', actual: 2 });
    const unseen = fresh.storeWith({});
    await expect(
      unseen.append('conf-1', one('conf-1:e'), { streamType: 'counted', expectedVersion: 0 }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    // An expected version above the stream's is refused too, never written past a missing version.
    await expect(
      unseen.append('conf-1', one('conf-1:f'), { streamType: 'counted', expectedVersion: 5 }),
    ).rejects.toMatchObject({ expected: 5, actual: 2 });
    expect(await realEventCount(fresh.db)).toBe(events);
    expect((await fresh.store.readStream('conf-1')).map((e) => e.version)).toEqual([1, 2]);
    expect(await gapMarkers()).toBe(0);
    const page = await fresh.store.readAll({ limit: 10_000 });
    expect(page.hole).toBeNull();
    expect(page.nextPosition).toBe(page.headPosition + 1);
  });
});
