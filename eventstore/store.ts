import type { Db } from 'mongodb';
import {
  appendAlone,
  prepareAppend,
  streamHead,
  type AmbientMetadata,
  type AppendFaults,
  type PreparedAppend,
} from './append';
import { LeaderNotWrittenError } from './errors';
import { groupCommitter } from './group-commit';
import { collections, createIndexes, GAP_STREAM, toStored, type Collections } from './collections';
import { sealGaps } from './gaps';
import { rangesIndexed } from './server-seam';
import { eventAt, headPosition, readAll, readStream } from './read';
import { aggregateStream } from './snapshots';
import type {
  AggregateOptions,
  AggregateResult,
  AppendOptions,
  AppendRequest,
  AppendResult,
  Evolver,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  SealGapsOptions,
  SealGapsResult,
  StoredEvent,
} from './types';

export interface EventStore {
  /** Creates the unique indexes the store's guarantees rest on. Idempotent; also done lazily before first use. */
  ensureIndexes(): Promise<void>;
  append(streamId: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /**
   * Two appends on two streams, the second never written without the first: on the usual path
   * both go in one position reservation and one insert. The second fails with
   * LeaderNotWrittenError, writing nothing, when the first fails. They are not one transaction:
   * the first can be written and the second refused (its own version conflict) or lost with the
   * process, so the caller still reconciles the pair (a retry with the same event ids completes it).
   */
  appendPair(
    first: AppendRequest,
    second: AppendRequest,
  ): { first: Promise<AppendResult>; second: Promise<AppendResult> };
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  /** The highest position reserved so far (events, gap markers and appends in flight). */
  headPosition(): Promise<number>;
  /** The event at `position` (one read by the unique position index); null when none is there. */
  eventAt(position: number): Promise<StoredEvent | null>;
  sealGaps(options: SealGapsOptions): Promise<SealGapsResult>;
  aggregateStream<S, E extends StoredEvent = StoredEvent>(
    streamId: string,
    evolver: Evolver<S, E>,
    options?: AggregateOptions<S>,
  ): Promise<AggregateResult<S>>;
  /** The event with this id, if it was written. */
  findEvent(eventId: string): Promise<StoredEvent | null>;
  /** The stream's current version (0 when it does not exist). */
  streamVersion(streamId: string): Promise<number>;
}

export interface EventStoreOptions {
  /** Fault injection for tests (simulated crashes between the steps of an append). */
  faults?: AppendFaults;
  /**
   * Metadata from the caller's context added to every append, e.g. the Temporal workflow and
   * activity that write (the services pass it; the store itself knows nothing of Temporal).
   */
  ambientMetadata?: AmbientMetadata;
}

// One index build per database, however many stores are made on it.
const indexesReady = new WeakMap<Db, Promise<void>>();

function ensureIndexesOnce(db: Db, c: Collections): Promise<void> {
  let ready = indexesReady.get(db);
  if (!ready) {
    ready = createIndexes(c).catch((err) => {
      indexesReady.delete(db);
      throw err;
    });
    indexesReady.set(db, ready);
  }
  return ready;
}

/** Call at startup, after connecting to MongoDB. */
export function ensureEventStoreIndexes(db: Db): Promise<void> {
  return ensureIndexesOnce(db, collections(db));
}

export function createEventStore(db: Db, options: EventStoreOptions = {}): EventStore {
  const c = collections(db);
  let detected: Promise<void> | undefined;
  // Once per store: does the server serve range queries from indexes (see lookups.ts)?
  const detect = () => (detected ??= rangesIndexed(db).then((ranges) => void (c.lookups.rangesIndexed = ranges)));
  const ready = async () => {
    await Promise.all([ensureIndexesOnce(db, c), detect()]);
  };
  // Concurrent appends through this store are written together (./group-commit.ts). Fault
  // injection needs to stop between an append's own steps, so with faults each goes alone.
  const committer = groupCommitter(c);
  return {
    ensureIndexes: ready,
    async append(streamId, events, appendOptions) {
      const request = prepareAppend(streamId, events, appendOptions, options.ambientMetadata);
      await ready();
      return options.faults ? appendAlone(c, request, options.faults) : committer.submit(request);
    },
    appendPair(first, second) {
      const prepare = (r: AppendRequest) => prepareAppend(r.streamId, r.events, r.options, options.ambientMetadata);
      const started = ready().then((): [PreparedAppend, PreparedAppend] => [prepare(first), prepare(second)]);
      const notWritten = (err: unknown) =>
        Promise.reject(new LeaderNotWrittenError(second.streamId, first.streamId, err));
      if (options.faults) {
        // Each alone, so a fault can stop between them as a crash would.
        const lead = started.then(([a]) => appendAlone(c, a, options.faults));
        const follow = lead.then(() => started.then(([, b]) => appendAlone(c, b, options.faults)), notWritten);
        return { first: lead, second: follow };
      }
      const pair = started.then(([a, b]) => committer.submitPair(a, b));
      return {
        first: pair.then((p) => p.first),
        second: pair.then((p) => p.second, notWritten),
      };
    },
    async readStream(streamId, readOptions) {
      await detect();
      return readStream(c, streamId, readOptions);
    },
    async readAll(readOptions = {}) {
      const result = await readAll(c, readOptions);
      if (result.hole === null || readOptions.sealHolesOlderThanMs === undefined) return result;
      await ready();
      const sealed = await sealGaps(c, { olderThanMs: readOptions.sealHolesOlderThanMs });
      return sealed.sealed.length || sealed.completed.length ? readAll(c, readOptions) : result;
    },
    headPosition: () => headPosition(c),
    eventAt: (position) => eventAt(c, position),
    async sealGaps(sealOptions) {
      await ready();
      return sealGaps(c, sealOptions);
    },
    async aggregateStream(streamId, evolver, aggregateOptions) {
      await ready();
      return aggregateStream(c, streamId, evolver, aggregateOptions);
    },
    async findEvent(eventId) {
      // By the id alone, so every server serves it from the eventId index; gap markers are left out here.
      const doc = await c.events.findOne({ 'metadata.eventId': eventId }, { projection: { _id: 0, batch: 0 } });
      return doc && doc.streamId !== GAP_STREAM ? toStored(doc) : null;
    },
    async streamVersion(streamId) {
      await ready();
      return (await streamHead(c, streamId)).version;
    },
  };
}
