import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WrongExpectedVersionError, type StoredEvent } from '../../../eventstore';
import { reservePositions } from '../../../eventstore/append';
import { collections, counterIds } from '../../../eventstore/collections';
import { GIVE_BACK_WITHIN_MS, releasePositions } from '../../../eventstore/release';
import { freshStore, realEventCount, type FreshStore } from './fresh-db';

/** A saga step's append: one event with its own id, at any version. */
const step = (id: string) => [{ type: 'Stepped', data: { id }, eventId: id }];
const gapMarkers = (fresh: FreshStore) =>
  fresh.db
    .collection('events')
    .find({ type: '$gap' }, { sort: { position: 1 } })
    .toArray();
const head = async (fresh: FreshStore) =>
  (await fresh.db.collection<{ _id: string; position: number }>('counters').findOne({ _id: counterIds.position }))
    ?.position ?? 0;

/** Every position up to the head holds exactly one event or marker, events in position order. */
async function expectNoHole(fresh: FreshStore): Promise<StoredEvent[]> {
  const page = await fresh.store.readAll({ limit: 10_000 });
  expect(page.hole).toBeNull();
  expect(page.nextPosition).toBe(page.headPosition + 1);
  expect(page.events.length + page.gaps.length).toBe(page.headPosition);
  return page.events;
}

describe('event store: positions nobody writes are handed out again instead of burned', () => {
  let fresh: FreshStore;
  beforeEach(async () => {
    fresh = await freshStore();
  });
  afterEach(async () => {
    await fresh?.close();
  });

  it('leaves no gap marker for any number of repeats of a saga step, by this process or another, each answered with the original result', async () => {
    const original = await fresh.store.append('order-1', step('order-1:created'), { streamType: 'order' });
    for (let i = 0; i < 10; i++) {
      // A store of its own stands for a process that never saw the id: its insert is refused.
      const writer = i % 2 === 0 ? fresh.store : fresh.storeWith({});
      const repeat = await writer.append('order-1', step('order-1:created'), { streamType: 'order' });
      expect(repeat).toMatchObject({ firstPosition: original.firstPosition, nextExpectedVersion: 1 });
    }
    const next = await fresh.store.append('order-1', step('order-1:paid'), { streamType: 'order' });
    expect(next).toMatchObject({ firstPosition: 2, nextExpectedVersion: 2 });
    expect(await gapMarkers(fresh)).toEqual([]);
    expect(await head(fresh)).toBe(2);
    await expectNoHole(fresh);
  });

  it('reserves no position for a repeat of ids this process saw committed: it looks them up first', async () => {
    const monitored = await freshStore({ monitorCommands: true });
    try {
      const reservations: string[] = [];
      monitored.client.on('commandStarted', (e) => {
        if (e.commandName === 'findAndModify' && e.command.findAndModify === 'counters')
          reservations.push(JSON.stringify(e.command.query));
      });
      const original = await monitored.store.append('order-2', step('order-2:created'), { streamType: 'order' });
      expect(reservations).toHaveLength(1);
      for (let i = 0; i < 3; i++) {
        expect(await monitored.store.append('order-2', step('order-2:created'), { streamType: 'order' })).toMatchObject(
          { firstPosition: original.firstPosition },
        );
      }
      expect(reservations).toHaveLength(1);
      expect(await monitored.db.collection('events').countDocuments({ type: '$gap' })).toBe(0);
    } finally {
      await monitored.close();
    }
  });

  it('moves the appends of a group behind its repeats down into their positions: fresh events stay contiguous, no marker', async () => {
    // Written by another process, so this store inserts the repeats and the index refuses them.
    const elsewhere = fresh.storeWith({});
    const originals = await Promise.all(
      [1, 2, 3].map((i) => elsewhere.append(`r-${i}`, step(`r-${i}:done`), { streamType: 'order' })),
    );
    const before = await head(fresh);
    // Two appends take the two groups in flight; everything submitted behind them goes in one group.
    const warmups = [
      fresh.store.append('w-1', step('w-1'), { streamType: 'order' }),
      fresh.store.append('w-2', step('w-2'), { streamType: 'order' }),
    ];
    const mix = [1, 2, 3].flatMap((i) => [
      fresh.store.append(`f-${i}`, step(`f-${i}:new`), { streamType: 'order' }),
      fresh.store.append(`r-${i}`, step(`r-${i}:done`), { streamType: 'order' }),
    ]);
    await Promise.all(warmups);
    const results = await Promise.all(mix);
    // The repeats answer with what the first appends wrote.
    expect([1, 3, 5].map((k) => results[k]!.firstPosition)).toEqual(originals.map((o) => o.firstPosition));
    // The fresh appends are committed, each once, at positions right after the warm-ups.
    const fresh3 = [0, 2, 4].map((k) => results[k]!.firstPosition).sort((a, b) => a - b);
    expect(fresh3).toEqual([before + 3, before + 4, before + 5]);
    expect(await gapMarkers(fresh)).toEqual([]);
    expect(await head(fresh)).toBe(before + 5);
    expect(await realEventCount(fresh.db)).toBe(8);
    await expectNoHole(fresh);
  });

  it('gives back the position of an append refused for its expected version on the path without a lookup', async () => {
    const other = fresh.storeWith({});
    await fresh.store.append('acct-1', step('opened'), { streamType: 'account', expectedVersion: 'no_stream' });
    await other.append('acct-1', step('debited'), { streamType: 'account', expectedVersion: 1 });
    // This store knows the stream at version 1 and writes version 2 straight away; the index refuses it.
    await expect(
      fresh.store.append('acct-1', step('credited'), { streamType: 'account', expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    // An `any` append on a stale hint is refused too, and goes again: committed right after.
    const anyVersion = await other.append('acct-2', step('a2'), { streamType: 'account' });
    await fresh.store.append('acct-2', step('a2-seen'), { streamType: 'account' }).catch(() => {});
    await other.append('acct-2', step('a2-other'), { streamType: 'account' });
    const late = await fresh.store.append('acct-2', step('a2-late'), { streamType: 'account' });
    expect(late.nextExpectedVersion).toBe(4);
    expect(anyVersion.firstPosition).toBe(3);
    expect(await gapMarkers(fresh)).toEqual([]);
    expect(await head(fresh)).toBe(6);
    await expectNoHole(fresh);
  });

  it('burns, with their cause, positions it cannot give back: a later block was reserved, or the block is too old', async () => {
    const c = collections(fresh.db);
    const first = await reservePositions(c, 2);
    const second = await reservePositions(c, 1);
    // Something was reserved after the first block: its positions become markers, the counter stays.
    expect(await releasePositions(c, first, [1, 2], ['repeat', 'version_conflict'])).toEqual([1, 2]);
    expect(await head(fresh)).toBe(3);
    // The top of the counter goes back without a marker.
    expect(await releasePositions(c, second, [3], 'repeat')).toEqual([]);
    expect(await head(fresh)).toBe(2);
    // A block reserved longer ago than a sealer could pass over it is burned even at the top.
    const old = await reservePositions(c, 1);
    const stale = { ...old, reservedAt: new Date(Date.now() - GIVE_BACK_WITHIN_MS - 1) };
    expect(await releasePositions(c, stale, [3], 'version_conflict')).toEqual([3]);
    // So is one whose writer found its slot taken.
    const late = await reservePositions(c, 1);
    expect(await releasePositions(c, late, [4], 'other', false)).toEqual([4]);
    expect(await head(fresh)).toBe(4);
    expect((await gapMarkers(fresh)).map((g) => [g.position, g.data])).toEqual([
      [1, { reason: 'burned', cause: 'repeat' }],
      [2, { reason: 'burned', cause: 'version_conflict' }],
      [3, { reason: 'burned', cause: 'version_conflict' }],
      [4, { reason: 'burned', cause: 'other' }],
    ]);
  });

  it('records why the sealer filled a hole: its writer never came back', async () => {
    const dying = fresh.storeWith({
      faults: {
        afterReserve: () => {
          throw new Error('died after reserving');
        },
      },
    });
    await expect(dying.append('gone', step('gone'), { streamType: 'order' })).rejects.toThrow('died after reserving');
    await fresh.store.append('after', step('after'), { streamType: 'order' });
    expect((await fresh.store.sealGaps({ olderThanMs: 0 })).sealed).toEqual([1]);
    expect((await gapMarkers(fresh)).map((g) => g.data)).toEqual([{ reason: 'sealed', cause: 'crash' }]);
  });
});
