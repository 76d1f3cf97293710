import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  MAX_EVENTS_PER_APPEND,
  WrongExpectedVersionError,
  type EventStore,
} from '../../../eventstore';
import { freshStore, realEventCount, type FreshStore } from './fresh-db';

const ev = (type: string, data: unknown = {}, eventId?: string) => ({ type, data, ...(eventId ? { eventId } : {}) });

describe('event store: append', () => {
  let fresh: FreshStore;
  let store: EventStore;
  beforeAll(async () => {
    fresh = await freshStore();
    store = fresh.store;
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it('numbers events 1..n within the stream, gives them global positions and stores their metadata', async () => {
    const first = await store.append('cart-1', [ev('ItemAdded', { sku: 'a' }), ev('ItemAdded', { sku: 'b' })], {
      expectedVersion: 'no_stream',
      streamType: 'cart',
      metadata: { correlationId: 'corr-1', causationId: 'cmd-1', workflowId: 'wf-1', runId: 'run-1', activityId: '7' },
    });
    expect(first.nextExpectedVersion).toBe(2);
    expect(first.lastPosition).toBe(first.firstPosition + 1);
    const second = await store.append('cart-1', [ev('CheckedOut')], { expectedVersion: 2, streamType: 'cart' });
    expect(second.nextExpectedVersion).toBe(3);
    expect(second.firstPosition).toBeGreaterThan(first.lastPosition);

    const events = await store.readStream('cart-1');
    expect(events.map((e) => [e.version, e.type])).toEqual([
      [1, 'ItemAdded'],
      [2, 'ItemAdded'],
      [3, 'CheckedOut'],
    ]);
    expect(events.map((e) => e.position)).toEqual([first.firstPosition, first.firstPosition + 1, second.firstPosition]);
    expect(events[0]).toMatchObject({ streamId: 'cart-1', streamType: 'cart', data: { sku: 'a' } });
    expect(events[0]!.metadata).toMatchObject({
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      workflowId: 'wf-1',
      runId: 'run-1',
      activityId: '7',
    });
    expect(events[0]!.metadata.timestamp).toBeInstanceOf(Date);
    expect(typeof events[0]!.metadata.eventId).toBe('string');
    // Without a correlation id the append correlates to its own first event; causation stays empty.
    expect(events[2]!.metadata).toMatchObject({ correlationId: events[2]!.metadata.eventId, causationId: null });
    expect(events[2]!.metadata).not.toHaveProperty('workflowId');
    expect(await store.streamVersion('cart-1')).toBe(3);
    expect(await store.streamVersion('cart-unknown')).toBe(0);
  });

  it('refuses an append whose expected version is stale with WrongExpectedVersionError and writes nothing', async () => {
    await store.append('acc-occ', [ev('Opened')], { expectedVersion: 'no_stream', streamType: 'acc' });
    const before = await fresh.db.collection('events').countDocuments();

    const stale = store.append('acc-occ', [ev('Changed'), ev('Changed')], { expectedVersion: 0, streamType: 'acc' });
    await expect(stale).rejects.toBeInstanceOf(WrongExpectedVersionError);
    await expect(
      store.append('acc-occ', [ev('Changed')], { expectedVersion: 0, streamType: 'acc' }),
    ).rejects.toMatchObject({
      streamId: 'acc-occ',
      expected: 0,
      actual: 1,
    });
    await expect(
      store.append('acc-occ', [ev('Opened')], { expectedVersion: 'no_stream', streamType: 'acc' }),
    ).rejects.toMatchObject({
      expected: 'no_stream',
      actual: 1,
    });
    await expect(
      store.append('acc-occ', [ev('Changed')], { expectedVersion: 5, streamType: 'acc' }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);

    expect(await fresh.db.collection('events').countDocuments()).toBe(before);
    expect((await store.readStream('acc-occ')).map((e) => e.type)).toEqual(['Opened']);
  });

  it('lets exactly one of two racing appends with the same expected version win; the loser writes no event', async () => {
    await store.append('race-1', [ev('Opened')], { expectedVersion: 'no_stream', streamType: 'race' });
    const eventsBefore = await realEventCount(fresh.db);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        store.append('race-1', [ev('Changed', { by: i }), ev('Changed', { by: i })], {
          expectedVersion: 1,
          streamType: 'race',
        }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof WrongExpectedVersionError)).toBe(true);
    expect(await realEventCount(fresh.db)).toBe(eventsBefore + 2);
    const stream = await store.readStream('race-1');
    expect(stream.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(new Set(stream.slice(1).map((e) => (e.data as { by: number }).by)).size).toBe(1);
  });

  it('treats a repeated event id as a no-op and returns the original result, even after the stream moved on', async () => {
    const original = await store.append(
      'idem-1',
      [ev('Debited', { amount: 5 }, 'debit-order-1'), ev('Noted', {}, 'note-order-1')],
      {
        expectedVersion: 'no_stream',
        streamType: 'idem',
      },
    );
    await store.append('idem-1', [ev('Other')], { expectedVersion: 2, streamType: 'idem' });
    const count = await fresh.db.collection('events').countDocuments();

    // Same ids, a now-stale expected version and different data: still the original answer.
    const again = await store.append(
      'idem-1',
      [ev('Debited', { amount: 999 }, 'debit-order-1'), ev('Noted', {}, 'note-order-1')],
      {
        expectedVersion: 'no_stream',
        streamType: 'idem',
      },
    );
    expect(again).toEqual(original);
    expect(await fresh.db.collection('events').countDocuments()).toBe(count);
    expect((await store.readStream('idem-1')).map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('refuses a batch whose event ids partly exist, naming which, writes no event and leaves no hole', async () => {
    await store.append('idem-2', [ev('A', {}, 'partial-a')], { streamType: 'idem' });
    // An append that expects `any` reserves its positions while its ids are looked up; refused,
    // it burns them (gap markers), so the log stays whole.
    const count = await realEventCount(fresh.db);
    const attempt = store.append('idem-2', [ev('A', {}, 'partial-a'), ev('B', {}, 'partial-b')], {
      streamType: 'idem',
    });
    await expect(attempt).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(
      store.append('idem-2', [ev('A', {}, 'partial-a'), ev('B', {}, 'partial-b')], { streamType: 'idem' }),
    ).rejects.toMatchObject({
      existingEventIds: ['partial-a'],
      newEventIds: ['partial-b'],
      message: expect.stringMatching(/1 of its 2 event ids already exist/),
    });
    expect(await realEventCount(fresh.db)).toBe(count);
    const head = await store.headPosition();
    expect(await fresh.db.collection('events').countDocuments({ position: { $lte: head } })).toBe(head);
  });

  it('refuses a batch whose later event id is taken, with any version expected, before writing its first event', async () => {
    await store.append('idem-5', [ev('B', {}, 'later-b')], { streamType: 'idem' });
    const count = await realEventCount(fresh.db);
    await expect(
      store.append('idem-6', [ev('A', {}, 'later-a'), ev('B', {}, 'later-b')], { streamType: 'idem' }),
    ).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await realEventCount(fresh.db)).toBe(count);
    expect(await store.readStream('idem-6')).toEqual([]);
    const head = await store.headPosition();
    expect(await fresh.db.collection('events').countDocuments({ position: { $lte: head } })).toBe(head);
  });

  it('answers a repeated single event that expects any version with the original, writing no event and leaving no hole', async () => {
    const original = await store.append('idem-7', [ev('Reserved', {}, 'single-any')], { streamType: 'idem' });
    await store.append('idem-7', [ev('Other')], { streamType: 'idem' });
    const count = await realEventCount(fresh.db);
    expect(
      await store.append('idem-7', [ev('Reserved', { changed: true }, 'single-any')], { streamType: 'idem' }),
    ).toEqual(original);
    await expect(store.append('idem-8', [ev('Reserved', {}, 'single-any')], { streamType: 'idem' })).rejects.toThrow(
      /already belongs to stream idem-7/,
    );
    expect(await realEventCount(fresh.db)).toBe(count);
    const head = await store.headPosition();
    expect(await fresh.db.collection('events').countDocuments({ position: { $lte: head } })).toBe(head);
  });

  it('refuses an event id that already belongs to another stream', async () => {
    await store.append('idem-3', [ev('A', {}, 'shared-id')], { streamType: 'idem' });
    await expect(store.append('idem-4', [ev('A', {}, 'shared-id')], { streamType: 'idem' })).rejects.toThrow(
      /already belongs to stream idem-3/,
    );
    expect(await store.readStream('idem-4')).toEqual([]);
  });

  it('writes an event once when the same append (same ids) runs many times at once, like a retried activity', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.append('twin-1', [ev('Reserved', { n: 1 }, 'twin-a'), ev('Reserved', { n: 2 }, 'twin-b')], {
          streamType: 'twin',
        }),
      ),
    );
    for (const r of results) expect(r).toEqual(results[0]);
    expect((await store.readStream('twin-1')).map((e) => e.metadata.eventId)).toEqual(['twin-a', 'twin-b']);
  });

  it('reads a version range and the events recorded until an instant', async () => {
    for (let i = 1; i <= 5; i++)
      await store.append('range-1', [ev('Tick', { i })], { expectedVersion: i - 1, streamType: 'range' });
    const all = await store.readStream('range-1');
    expect((await store.readStream('range-1', { fromVersion: 2, toVersion: 4 })).map((e) => e.version)).toEqual([
      2, 3, 4,
    ]);
    const until = all[2]!.metadata.timestamp;
    const asOf = await store.readStream('range-1', { until });
    expect(asOf.map((e) => e.version)).toEqual(all.filter((e) => e.metadata.timestamp <= until).map((e) => e.version));
    expect(asOf.length).toBeGreaterThanOrEqual(3);
    expect(await store.readStream('range-1', { until: new Date(all[0]!.metadata.timestamp.getTime() - 1) })).toEqual(
      [],
    );
    // Timestamps never go backwards within a stream, so "until" is always a prefix.
    for (let i = 1; i < all.length; i++)
      expect(all[i]!.metadata.timestamp.getTime()).toBeGreaterThanOrEqual(all[i - 1]!.metadata.timestamp.getTime());
  });

  it('refuses malformed appends before touching the database', async () => {
    const count = await fresh.db.collection('events').countDocuments();
    const bad: Array<[string, unknown[], object]> = [
      ['$gaps', [ev('X')], { streamType: 'x' }],
      ['', [ev('X')], { streamType: 'x' }],
      ['s-1', [], { streamType: 'x' }],
      ['s-1', Array.from({ length: MAX_EVENTS_PER_APPEND + 1 }, () => ev('X')), { streamType: 'x' }],
      ['s-1', [ev('X', {}, 'same'), ev('Y', {}, 'same')], { streamType: 'x' }],
      ['s-1', [ev('$gap')], { streamType: 'x' }],
      ['s-1', [{ type: 'X' }], { streamType: 'x' }],
      ['s-1', [ev('X')], { streamType: '' }],
      ['s-1', [ev('X')], { streamType: 'x', expectedVersion: -1 }],
      ['s-1', [ev('X')], { streamType: 'x', expectedVersion: 1.5 }],
    ];
    for (const [streamId, events, options] of bad) {
      await expect(
        store.append(streamId, events as never, options as never),
        JSON.stringify([streamId, options]),
      ).rejects.toBeInstanceOf(InvalidAppendError);
    }
    expect(await fresh.db.collection('events').countDocuments()).toBe(count);
  });

  it('never returns gap markers from readStream', async () => {
    expect(await store.readStream('$gaps')).toEqual([]);
  });
});
