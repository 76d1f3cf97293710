import { ignoreDuplicate, type Collections, type SnapshotDocument } from './collections';
import { rememberVersion } from './lookups';
import { readStream } from './read';
import type { AggregateOptions, AggregateResult, Evolver, StoredEvent } from './types';

/**
 * Rebuilds a stream's state: the latest usable snapshot (or a fold the caller already holds, see
 * `resume`), then the events after it.
 *
 * A snapshot is usable when it was taken with the evolver's schema version and is not later than
 * the point asked for (`toVersion`, `until`); time travel to before every snapshot folds from the
 * start. Timestamps never decrease within a stream, so "until" is always a prefix and a snapshot
 * whose event is not later than `until` holds nothing after it.
 *
 * With `snapshotEvery: N`, reading the current state (no time travel) writes a snapshot once N or
 * more events were folded on top of the last one. Snapshots are kept, so time travel benefits too.
 */
export async function aggregateStream<S, E extends StoredEvent = StoredEvent>(
  c: Collections,
  streamId: string,
  evolver: Evolver<S, E>,
  options: AggregateOptions<S> = {},
): Promise<AggregateResult<S>> {
  const timeTravel = options.until !== undefined || options.toVersion !== undefined;
  const resumed = options.from && !timeTravel ? await resume(c, streamId, options.from) : null;
  const start = resumed ?? (await fromSnapshot(c, streamId, evolver, options));
  let { state, version, position, timestamp } = start.base;
  for (const event of start.events) state = evolver.evolve(state, event as E);
  const last = start.events.at(-1);
  if (last) {
    version = last.version;
    position = last.position;
    timestamp = last.metadata.timestamp;
  }

  const { snapshotVersion } = start.base;
  let written = false;
  // Not only when this read folded events: a fold the caller held may have passed the mark already.
  if (
    options.snapshotEvery &&
    !timeTravel &&
    version > 0 &&
    version - (snapshotVersion ?? 0) >= options.snapshotEvery
  ) {
    const doc: Omit<SnapshotDocument, 'streamId' | 'schemaVersion' | 'version'> = {
      position: position!,
      timestamp: timestamp!,
      state: evolver.toSnapshot ? evolver.toSnapshot(state) : state,
      createdAt: new Date(),
    };
    // Two readers may snapshot the same version at once; the state is the same, one write wins.
    await ignoreDuplicate(
      c.snapshots.updateOne(
        { streamId, schemaVersion: evolver.snapshotSchemaVersion ?? 1, version },
        { $setOnInsert: doc },
        { upsert: true },
      ),
    );
    written = true;
  }
  // Going on from a held fold, the snapshot it "started from" is the latest one along the way, so
  // the next fold from this result knows when the next snapshot is due.
  return {
    state,
    version,
    position,
    timestamp,
    snapshotVersion: resumed && written ? version : snapshotVersion,
    eventsFolded: start.events.length,
  };
}

/** Where a fold starts (a snapshot, a fold the caller holds, or nothing) and the events to fold on it. */
interface Start<S> {
  base: Omit<AggregateResult<S>, 'eventsFolded'>;
  events: StoredEvent[];
}

/** The latest usable snapshot, then the events after it: two reads. */
async function fromSnapshot<S, E extends StoredEvent>(
  c: Collections,
  streamId: string,
  evolver: Evolver<S, E>,
  options: AggregateOptions<S>,
): Promise<Start<S>> {
  let base: Start<S>['base'] = {
    state: evolver.initialState(),
    version: 0,
    position: null,
    timestamp: null,
    snapshotVersion: null,
  };
  if (options.useSnapshots !== false) {
    const snapshot = await c.snapshots.findOne(
      {
        streamId,
        schemaVersion: evolver.snapshotSchemaVersion ?? 1,
        ...(options.toVersion !== undefined ? { version: { $lte: options.toVersion } } : {}),
        ...(options.until ? { timestamp: { $lte: options.until } } : {}),
      },
      { sort: { version: -1 } },
    );
    if (snapshot) {
      const state = evolver.fromSnapshot ? evolver.fromSnapshot(snapshot.state) : (snapshot.state as S);
      base = {
        state,
        version: snapshot.version,
        position: snapshot.position,
        timestamp: snapshot.timestamp,
        snapshotVersion: snapshot.version,
      };
    }
  }
  const events = await readStream(c, streamId, {
    fromVersion: base.version + 1,
    toVersion: options.toVersion,
    until: options.until,
  });
  // Nothing after the snapshot: its event is the stream's head (readStream remembers it otherwise),
  // so an append that expects this version writes without looking the head up (./lookups.ts).
  if (base.version > 0 && events.length === 0 && options.toVersion === undefined && !options.until)
    rememberVersion(c.lookups, streamId, base.version, base.timestamp!);
  return { base, events };
}

/**
 * Goes on from a fold the caller holds, in one read: its last event and every event after it. The
 * last event is read again to check the fold still describes this log (a database restored from
 * a backup, or dropped and refilled, no longer has it at that position); if not, null, and the
 * fold starts afresh.
 */
async function resume<S>(c: Collections, streamId: string, from: AggregateResult<S>): Promise<Start<S> | null> {
  const events = await readStream(c, streamId, { fromVersion: Math.max(1, from.version) });
  if (from.version === 0) return { base: from, events };
  if (events[0]?.version !== from.version || events[0].position !== from.position) return null;
  return { base: from, events: events.slice(1) };
}
