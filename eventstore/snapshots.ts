import { ignoreDuplicate, type Collections, type SnapshotDocument } from './collections';
import { readStream } from './read';
import type { AggregateOptions, AggregateResult, Evolver, StoredEvent } from './types';

/**
 * Rebuilds a stream's state: the latest usable snapshot, then the events after it.
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
  options: AggregateOptions = {},
): Promise<AggregateResult<S>> {
  const schemaVersion = evolver.snapshotSchemaVersion ?? 1;
  const timeTravel = options.until !== undefined || options.toVersion !== undefined;
  let state = evolver.initialState();
  let version = 0;
  let position: number | null = null;
  let timestamp: Date | null = null;
  let snapshotVersion: number | null = null;

  if (options.useSnapshots !== false) {
    const snapshot = await c.snapshots.findOne(
      {
        streamId,
        schemaVersion,
        ...(options.toVersion !== undefined ? { version: { $lte: options.toVersion } } : {}),
        ...(options.until ? { timestamp: { $lte: options.until } } : {}),
      },
      { sort: { version: -1 } },
    );
    if (snapshot) {
      state = evolver.fromSnapshot ? evolver.fromSnapshot(snapshot.state) : (snapshot.state as S);
      ({ version, position, timestamp } = snapshot);
      snapshotVersion = snapshot.version;
    }
  }

  const events = await readStream(c, streamId, { fromVersion: version + 1, toVersion: options.toVersion, until: options.until });
  for (const event of events) state = evolver.evolve(state, event as E);
  const last = events.at(-1);
  if (last) {
    version = last.version;
    position = last.position;
    timestamp = last.metadata.timestamp;
  }

  if (options.snapshotEvery && !timeTravel && last && version - (snapshotVersion ?? 0) >= options.snapshotEvery) {
    const doc: Omit<SnapshotDocument, 'streamId' | 'schemaVersion' | 'version'> = {
      position: position!,
      timestamp: timestamp!,
      state: evolver.toSnapshot ? evolver.toSnapshot(state) : state,
      createdAt: new Date(),
    };
    // Two readers may snapshot the same version at once; the state is the same, one write wins.
    await ignoreDuplicate(c.snapshots.updateOne({ streamId, schemaVersion, version }, { $setOnInsert: doc }, { upsert: true }));
  }
  return { state, version, position, timestamp, snapshotVersion, eventsFolded: events.length };
}
