import { LRUCache } from 'lru-cache';
import { MongoBulkWriteError, MongoServerError, type Collection, type Db } from 'mongodb';
import { EventStoreCorruptionError } from './errors';
import type { EventMetadata, StoredEvent } from './types';

/** Upper bound on events per append; keeps the first event's copy of the batch small (see README). */
export const MAX_EVENTS_PER_APPEND = 100;
/** Stream and type of the markers that fill burned positions. Stream ids starting with `$` are reserved. */
export const GAP_STREAM = '$gaps';
export const GAP_TYPE = '$gap';
const POSITION_COUNTER = 'events';
const SEALED_COUNTER = 'events_sealed';

export const INDEX = {
  streamVersion: 'stream_version',
  position: 'global_position',
  eventId: 'event_id',
  snapshot: 'stream_schema_version',
} as const;

/**
 * Every event of a multi-event append carries where its batch starts and ends; the first one also
 * carries the others (`pending`), so whoever finds the batch half written can finish it exactly as
 * the writer would have (same versions, positions and ids). Single-event appends have no `batch`.
 */
export interface BatchInfo {
  firstVersion: number;
  lastVersion: number;
  firstPosition: number;
  lastPosition: number;
  pending?: Array<{ type: string; data: unknown; metadata: EventMetadata }>;
}

export interface EventDocument extends StoredEvent {
  batch?: BatchInfo;
}

export interface CounterDocument {
  _id: string;
  position: number;
  /** When the latest block of positions was reserved (the sealer's clock for holes with nothing above them). */
  reservedAt?: Date;
}

export interface SnapshotDocument {
  streamId: string;
  schemaVersion: number;
  version: number;
  position: number;
  timestamp: Date;
  state: unknown;
  createdAt: Date;
}

export interface StreamHint {
  version: number;
  timestamp: Date;
}

/** How many streams' heads a process remembers; the least recently used are forgotten first. */
const MAX_STREAM_HINTS = 10_000;

/** How streams are looked up on this server (lookups.ts detects it and keeps the hints). */
export interface Lookups {
  /** Whether range queries on an index prefix are served by the index. */
  rangesIndexed: boolean;
  /**
   * The last version this process wrote or read per stream, with that event's timestamp. Events
   * are never deleted, so the stream is at least there: an append may write the next version
   * without looking the head up, and the (streamId, version) index refuses it if another writer
   * was first. Bounded: the least recently used streams are forgotten (and looked up again).
   */
  hints: LRUCache<string, StreamHint>;
  /**
   * Caller-chosen event ids this process saw committed (it wrote them, or answered a repeat of
   * them). An append carrying one is most likely a repeat (a retried activity, a step that records
   * its event again), so its ids are looked up before any position is reserved for it.
   */
  committedIds: Set<string>;
}

export interface Collections {
  events: Collection<EventDocument>;
  counters: Collection<CounterDocument>;
  snapshots: Collection<SnapshotDocument>;
  /** How streams are looked up on this server (see lookups.ts); ranges until detected otherwise. */
  lookups: Lookups;
}

/**
 * Write and read concerns are explicit (see README.md, "Durability"): an acknowledged append or
 * position reservation is on a majority of the replica set, so a failover cannot take back an event
 * a caller was told about; reads are `majority` too, so nothing reads an event that could still be
 * rolled back. Snapshots are a cache: `w: 1` is enough.
 */
const MAJORITY = { writeConcern: { w: 'majority' as const }, readConcern: { level: 'majority' as const } };

export function collections(db: Db): Collections {
  return {
    events: db.collection<EventDocument>('events', MAJORITY),
    counters: db.collection<CounterDocument>('counters', MAJORITY),
    snapshots: db.collection<SnapshotDocument>('snapshots', { writeConcern: { w: 1 } }),
    lookups: { rangesIndexed: true, hints: new LRUCache({ max: MAX_STREAM_HINTS }), committedIds: new Set() },
  };
}

export const counterIds = { position: POSITION_COUNTER, sealed: SEALED_COUNTER } as const;

/** Idempotent: creating an index that exists with the same options is a no-op on MongoDB. */
export async function createIndexes(c: Collections): Promise<void> {
  await Promise.all([
    c.events.createIndexes([
      { key: { streamId: 1, version: 1 }, name: INDEX.streamVersion, unique: true },
      { key: { position: 1 }, name: INDEX.position, unique: true },
      { key: { 'metadata.eventId': 1 }, name: INDEX.eventId, unique: true },
    ]),
    c.snapshots.createIndex({ streamId: 1, schemaVersion: 1, version: 1 }, { name: INDEX.snapshot, unique: true }),
  ]);
  // Creating the counter up front spares the first appends a concurrent-upsert race on it.
  await ignoreDuplicate(
    c.counters.updateOne({ _id: POSITION_COUNTER }, { $setOnInsert: { position: 0 } }, { upsert: true }),
  );
}

export type DuplicateOn = 'stream_version' | 'position' | 'event_id' | 'other';

/**
 * Recognises a unique-index violation and says which index refused the write and at which
 * document of the batch (ordered inserts stop there: the documents before it were written).
 * MongoDB names the index in the message (`index: <name> dup key`); `keyPattern` is a fallback.
 */
export function duplicateKey(err: unknown): { at: number; on: DuplicateOn } | null {
  let code: unknown;
  let message = '';
  let at = 0;
  let keyPattern: Record<string, unknown> | undefined;
  if (err instanceof MongoBulkWriteError) {
    const list = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    const first = list[0];
    if (!first) return null;
    code = first.code;
    message = first.errmsg ?? '';
    at = first.index;
  } else if (err instanceof MongoServerError) {
    code = err.code;
    message = err.errmsg ?? err.message;
    keyPattern = err.keyPattern as Record<string, unknown> | undefined;
  } else {
    return null;
  }
  if (code !== 11000) return null;
  const name = /index: (\S+) dup key/.exec(message)?.[1];
  const keys = keyPattern ? Object.keys(keyPattern) : [];
  if (name === INDEX.streamVersion || keys.includes('version')) return { at, on: 'stream_version' };
  if (name === INDEX.position || keys.includes('position')) return { at, on: 'position' };
  if (name === INDEX.eventId || keys.includes('metadata.eventId')) return { at, on: 'event_id' };
  return { at, on: 'other' };
}

/** The cause recorded for positions given up because an insert was refused on this index. */
export function causeOfRefusal(on: DuplicateOn): GapCause {
  return on === 'event_id' ? 'repeat' : on === 'stream_version' ? 'version_conflict' : 'other';
}

export async function ignoreDuplicate<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (duplicateKey(err)) return undefined;
    throw err;
  }
}

export function toStored(doc: EventDocument): StoredEvent {
  return {
    streamId: doc.streamId,
    streamType: doc.streamType,
    version: doc.version,
    position: doc.position,
    type: doc.type,
    data: doc.data,
    metadata: doc.metadata,
  };
}

/**
 * Why a position holds a gap marker, written by whoever knows it:
 * - `repeat`: the append repeated event ids already in the log (a retried or repeated activity);
 * - `version_conflict`: its stream had moved on (an expected version no longer true, or a race);
 * - `failed_insert`: its insert failed on something other than a unique index and was settled;
 * - `crash`: its writer never came back (or could not reach the server to settle), so the sealer filled it;
 * - `other`: a position already taken (a sealer outran a slow writer), a reservation made too
 *   early for its stream, a lookup that failed after positions were reserved.
 */
export const GAP_CAUSES = ['repeat', 'version_conflict', 'failed_insert', 'crash', 'other'] as const;
export type GapCause = (typeof GAP_CAUSES)[number];

/** What a gap marker's `data` holds. Markers written before causes were recorded have no `cause`. */
export interface GapData {
  reason: 'burned' | 'sealed';
  cause?: GapCause;
}

function gapDocument(position: number, reason: 'burned' | 'sealed', cause: GapCause, timestamp: Date): EventDocument {
  return {
    streamId: GAP_STREAM,
    streamType: GAP_STREAM,
    // One gap per position, so the (streamId, version) index also refuses a second marker.
    version: position,
    position,
    type: GAP_TYPE,
    data: { reason, cause } satisfies GapData,
    metadata: { eventId: `${GAP_STREAM}:${position}`, timestamp, correlationId: GAP_STREAM, causationId: null },
  };
}

/** The positions first..last (none when last < first). */
export function positionsBetween(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/**
 * Writes gap markers at the given positions unless something (an event, another marker) is
 * already there: the unique position index decides, so a marker can never replace an event.
 * `cause` is one for all, or one per position. Returns the positions this call filled.
 */
export async function fillGaps(
  c: Collections,
  positions: number[],
  reason: 'burned' | 'sealed',
  cause: GapCause | GapCause[],
): Promise<number[]> {
  if (positions.length === 0) return [];
  const now = new Date();
  const docs = positions.map((p, i) =>
    gapDocument(p, reason, typeof cause === 'string' ? cause : (cause[i] ?? 'other'), now),
  );
  try {
    await c.events.insertMany(docs, { ordered: false });
    return positions;
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const list = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (list.some((w) => w.code !== 11000)) throw err;
    const refused = new Set(list.map((w) => w.index));
    return positions.filter((_, i) => !refused.has(i));
  }
}

/** The events of a batch after its first, exactly as the writer planned them. */
export function batchMembers(first: EventDocument): EventDocument[] {
  const batch = first.batch;
  if (!batch?.pending) return [];
  const { pending, ...shared } = batch;
  return pending.map((p, i) => ({
    streamId: first.streamId,
    streamType: first.streamType,
    version: first.version + 1 + i,
    position: first.position + 1 + i,
    type: p.type,
    data: p.data,
    metadata: p.metadata,
    batch: shared,
  }));
}

/**
 * Inserts events of a batch whose first event is committed. Anyone may do it (the writer, a
 * reader, the sealer) and several may do it at once: a document refused because the same event
 * is already there counts as done. Returns the positions this call wrote.
 */
export async function insertMembers(c: Collections, members: EventDocument[]): Promise<number[]> {
  const written: number[] = [];
  let rest = members;
  while (rest.length > 0) {
    try {
      await c.events.insertMany(
        rest.map((d) => ({ ...d })),
        { ordered: true },
      );
      written.push(...rest.map((d) => d.position));
      return written;
    } catch (err) {
      const dup = duplicateKey(err);
      if (!dup) throw err;
      written.push(...rest.slice(0, dup.at).map((d) => d.position));
      const doc = rest[dup.at]!;
      const existing = await c.events.findOne(
        { 'metadata.eventId': doc.metadata.eventId },
        { projection: { streamId: 1, version: 1, position: 1 } },
      );
      if (
        !existing ||
        existing.streamId !== doc.streamId ||
        existing.version !== doc.version ||
        existing.position !== doc.position
      ) {
        throw new EventStoreCorruptionError(
          `Event ${doc.metadata.eventId} (${doc.streamId} v${doc.version}) cannot take position ${doc.position}: the slot holds something else`,
        );
      }
      rest = rest.slice(dup.at + 1);
    }
  }
  return written;
}

/** Finishes the multi-event append that starts at `firstVersion` of the stream. Returns positions written. */
export async function completeBatch(c: Collections, streamId: string, firstVersion: number): Promise<number[]> {
  const first = await c.events.findOne({ streamId, version: firstVersion });
  if (!first?.batch?.pending) return [];
  const present = await c.events
    .find(
      { streamId, version: { $gt: firstVersion, $lte: first.batch.lastVersion } },
      { projection: { _id: 0, version: 1 } },
    )
    .toArray();
  const have = new Set(present.map((d) => d.version));
  const missing = batchMembers(first).filter((m) => !have.has(m.version));
  return missing.length ? insertMembers(c, missing) : [];
}
