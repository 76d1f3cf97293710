import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WrongExpectedVersionError, type EventStore, type StoredEvent } from '../../../eventstore';
import { freshStore, realEventCount, type FreshStore } from './fresh-db';

const ev = (type: string, data: unknown = {}) => ({ type, data });

/** Reads the whole log the way a projection would, failing on a hole. */
async function readEverything(store: EventStore): Promise<{ events: StoredEvent[]; gaps: number[]; next: number }> {
  const events: StoredEvent[] = [];
  const gaps: number[] = [];
  let next = 1;
  for (;;) {
    const page = await store.readAll({ fromPosition: next, limit: 37 });
    events.push(...page.events);
    gaps.push(...page.gaps);
    if (page.hole !== null) throw new Error(`hole at ${page.hole}`);
    if (page.nextPosition === next) return { events, gaps, next };
    next = page.nextPosition;
  }
}

class Crash extends Error {}

describe('event store: global positions', () => {
  let fresh: FreshStore;
  beforeEach(async () => {
    fresh = await freshStore();
  });
  afterEach(async () => {
    await fresh?.close();
  });

  it('keeps positions strictly increasing and gap-free across concurrent appends to several streams, failed ones included', async () => {
    const { store } = fresh;
    const streams = ['s-a', 's-b', 's-c', 's-d'];
    for (const s of streams)
      await store.append(s, [ev('Opened')], { expectedVersion: 'no_stream', streamType: 'test' });

    // Each stream gets racing writers that all expect version 1 (one wins, the rest conflict)
    // and writers that append wherever the stream is; batches of 1 to 3 events. The writers use
    // four stores, as four processes would: within one store the group commit settles races
    // before reserving, across stores the unique index does, after positions were reserved.
    const writers = [store, ...Array.from({ length: 3 }, () => fresh.storeWith({}))];
    const attempts = streams.flatMap((s) =>
      Array.from({ length: 10 }, (_, i) => {
        const events = Array.from({ length: (i % 3) + 1 }, (_, k) => ev('Changed', { i, k }));
        return writers[i % writers.length]!.append(s, events, {
          expectedVersion: i % 2 === 0 ? 1 : 'any',
          streamType: 'test',
        });
      }),
    );
    const results = await Promise.allSettled(attempts);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f.reason).toBeInstanceOf(WrongExpectedVersionError);

    const head = await store.headPosition();
    const { events, gaps, next } = await readEverything(store);
    // Every reserved position is accounted for exactly once, as an event or a gap marker.
    expect(next).toBe(head + 1);
    const positions = [...events.map((e) => e.position), ...gaps].sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    for (let i = 1; i < events.length; i++) expect(events[i]!.position).toBeGreaterThan(events[i - 1]!.position);
    expect(events.length).toBe(await realEventCount(fresh.db));
    // Racing appends burned positions, and each one is now a gap marker.
    expect(gaps.length).toBeGreaterThan(0);

    // Within each stream: versions 1..n without duplicates, positions in version order.
    for (const s of streams) {
      const stream = await store.readStream(s);
      expect(stream.map((e) => e.version)).toEqual(stream.map((_, i) => i + 1));
      for (let i = 1; i < stream.length; i++) expect(stream[i]!.position).toBeGreaterThan(stream[i - 1]!.position);
      expect(events.filter((e) => e.streamId === s)).toEqual(stream);
    }
  });

  it('leaves a hole when a writer dies after reserving, and sealGaps fills it only after the grace period', async () => {
    const crashing = fresh.storeWith({
      faults: {
        afterReserve: () => {
          throw new Crash('process died after reserving positions');
        },
      },
    });
    const { store } = fresh;
    await store.append('h-1', [ev('One')], { streamType: 'test' });
    await expect(crashing.append('h-2', [ev('Lost'), ev('Lost')], { streamType: 'test' })).rejects.toBeInstanceOf(
      Crash,
    );
    await store.append('h-3', [ev('Three')], { streamType: 'test' });

    const blocked = await store.readAll();
    expect(blocked.events.map((e) => e.streamId)).toEqual(['h-1']);
    expect(blocked.hole).toBe(2);
    expect(blocked.nextPosition).toBe(2);
    expect(blocked.headPosition).toBe(4);

    const tooEarly = await store.sealGaps({ olderThanMs: 60_000 });
    expect(tooEarly).toMatchObject({ sealed: [], tooYoung: [2, 3] });
    expect((await store.readAll()).hole).toBe(2);

    const sealed = await store.sealGaps({ olderThanMs: 0 });
    expect(sealed.sealed).toEqual([2, 3]);
    const after = await store.readAll();
    expect(after).toMatchObject({ hole: null, gaps: [2, 3], nextPosition: 5 });
    expect(after.events.map((e) => e.streamId)).toEqual(['h-1', 'h-3']);
    expect(await store.readStream('h-2')).toEqual([]);

    // Nothing left to do, and a second sealer does not write again.
    expect(await store.sealGaps({ olderThanMs: 0 })).toMatchObject({ sealed: [], completed: [], tooYoung: [] });
  });

  it('lets a reader seal an abandoned hole itself with sealHolesOlderThanMs', async () => {
    const crashing = fresh.storeWith({ faults: { afterReserve: () => Promise.reject(new Crash('gone')) } });
    await expect(crashing.append('r-1', [ev('Lost')], { streamType: 'test' })).rejects.toBeInstanceOf(Crash);
    await fresh.store.append('r-2', [ev('Kept')], { streamType: 'test' });
    const page = await fresh.store.readAll({ sealHolesOlderThanMs: 0 });
    expect(page).toMatchObject({ hole: null, gaps: [1], nextPosition: 3 });
    expect(page.events.map((e) => e.streamId)).toEqual(['r-2']);
  });

  it('makes a late writer whose reserved position was sealed start over with fresh positions', async () => {
    let sealedUnderIt: number[] = [];
    let paused = false;
    const slow = fresh.storeWith({
      faults: {
        // The writer stalls past the grace period; a sealer takes its positions meanwhile.
        afterReserve: async () => {
          if (paused) return;
          paused = true;
          sealedUnderIt = (await fresh.store.sealGaps({ olderThanMs: 0 })).sealed;
        },
      },
    });
    const result = await slow.append('late-1', [ev('First'), ev('Second')], {
      expectedVersion: 'no_stream',
      streamType: 'test',
    });
    expect(sealedUnderIt).toEqual([1, 2]);
    expect(result).toMatchObject({ nextExpectedVersion: 2, firstPosition: 3, lastPosition: 4 });
    const log = await readEverything(fresh.store);
    expect(log.gaps).toEqual([1, 2]);
    expect(log.events.map((e) => [e.version, e.position])).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it('shows a multi-event append whole or not at all: a batch whose writer died after its first event is finished by the next append', async () => {
    const dying = fresh.storeWith({
      faults: {
        afterFirstEvent: () => {
          throw new Crash('died between the first event and the rest');
        },
      },
    });
    const { store } = fresh;
    await store.append('b-1', [ev('Opened')], { streamType: 'test' });
    await expect(
      dying.append('b-1', [ev('Part', { n: 1 }), ev('Part', { n: 2 }), ev('Part', { n: 3 })], {
        expectedVersion: 1,
        streamType: 'test',
      }),
    ).rejects.toBeInstanceOf(Crash);
    // Readers of the stream do not see a third of a decision.
    expect((await store.readStream('b-1')).map((e) => e.version)).toEqual([1]);
    expect((await store.readAll()).hole).toBe(3);
    // The batch counts: the stream is at version 4, and a writer who expected 1 is refused. This
    // store wrote version 1 itself, so it writes version 2 without a lookup; the index refuses it
    // and the position it reserved (5) goes back to the counter, since nothing was reserved after it.
    await expect(store.append('b-1', [ev('Late')], { expectedVersion: 1, streamType: 'test' })).rejects.toMatchObject({
      actual: 4,
    });

    const next = await store.append('b-1', [ev('After')], { expectedVersion: 4, streamType: 'test' });
    expect(next.nextExpectedVersion).toBe(5);
    const stream = await store.readStream('b-1');
    expect(stream.map((e) => [e.version, e.position, e.type])).toEqual([
      [1, 1, 'Opened'],
      [2, 2, 'Part'],
      [3, 3, 'Part'],
      [4, 4, 'Part'],
      [5, 5, 'After'],
    ]);
    expect(stream.slice(1, 4).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    // The batch's own positions were finished, not sealed, and the refused append's was handed out again: no marker.
    expect((await readEverything(store)).gaps).toEqual([]);
  });

  it('has sealGaps finish a half-written batch instead of sealing its positions', async () => {
    const dying = fresh.storeWith({ faults: { afterFirstEvent: () => Promise.reject(new Crash('died')) } });
    await expect(
      dying.append('b-2', [ev('X', { n: 1 }), ev('X', { n: 2 })], { streamType: 'test' }),
    ).rejects.toBeInstanceOf(Crash);
    const sealed = await fresh.store.sealGaps({ olderThanMs: 0 });
    expect(sealed).toMatchObject({ sealed: [], completed: [2] });
    expect((await fresh.store.readStream('b-2')).map((e) => (e.data as { n: number }).n)).toEqual([1, 2]);
    expect(await readEverything(fresh.store)).toMatchObject({ gaps: [], next: 3 });
  });

  it('has a repeated append of a half-written batch finish it and return the full original result', async () => {
    const dying = fresh.storeWith({ faults: { afterFirstEvent: () => Promise.reject(new Crash('died')) } });
    const batch = [
      { type: 'Y', data: { n: 1 }, eventId: 'retry-1' },
      { type: 'Y', data: { n: 2 }, eventId: 'retry-2' },
    ];
    await expect(dying.append('b-3', batch, { streamType: 'test' })).rejects.toBeInstanceOf(Crash);
    const retried = await fresh.store.append('b-3', batch, { streamType: 'test' });
    expect(retried).toMatchObject({ nextExpectedVersion: 2, firstPosition: 1, lastPosition: 2 });
    expect(retried.events.map((e) => e.metadata.eventId)).toEqual(['retry-1', 'retry-2']);
  });

  it('pages through the log with limit and nextPosition and reports the head', async () => {
    const { store } = fresh;
    for (let i = 0; i < 5; i++) await store.append(`p-${i}`, [ev('E', { i })], { streamType: 'test' });
    const first = await store.readAll({ limit: 2 });
    expect(first.events.map((e) => e.position)).toEqual([1, 2]);
    expect(first).toMatchObject({ nextPosition: 3, hole: null, headPosition: 5 });
    const rest = await store.readAll({ fromPosition: first.nextPosition, limit: 10 });
    expect(rest.events.map((e) => e.position)).toEqual([3, 4, 5]);
    expect(rest).toMatchObject({ nextPosition: 6, hole: null });
    expect(await store.readAll({ fromPosition: 6 })).toMatchObject({ events: [], nextPosition: 6, hole: null });
    await expect(store.readAll({ fromPosition: 0 })).rejects.toThrow(RangeError);
  });
});
