import type { AnyBulkWriteOperation, Collection, Db, Document, IndexDescription } from 'mongodb';
import type { StoredEvent } from '../../eventstore';

/**
 * A read model fed by the event log. `apply` must be idempotent per event: use `guardedWrite` so
 * each document records the positions applied to it (a bounded window) and skips a repeat atomically.
 * Updates are commutative or confined to one stream, so the per-stream ordering kept by parking
 * (see runner) is all the order a projection needs: a rebuild gives the same documents.
 */
export interface Projection {
  name: string;
  /** Logical collection names; each generation gets its own physical collections. */
  collections: Record<string, IndexDescription[]>;
  eventTypes: readonly string[];
  /**
   * Whether its `minPosition` readers wait for its checkpoint (readside/engine/types.ts,
   * Subscription.checkpoint): 'urgent' by default.
   */
  checkpoint?: 'urgent' | 'lazy';
  /**
   * The writes `event` makes, by logical collection and document `_id`, each with how to tell
   * that a document shows it (Write.holds). Read-your-writes on a list answers from them: see
   * documentsHold.
   */
  documentsOf?(event: StoredEvent): Array<{ collection: string; id: string; holds?: (doc: Document) => boolean }>;
  apply(event: StoredEvent, ctx: ProjectionContext): Promise<void>;
  /**
   * Applies a batch (in log order) with as few round trips as it can: one bulk write per
   * collection. Must leave the same documents as `apply` one by one; it may throw half-way (the
   * runner then applies the batch one event at a time, and every write is idempotent).
   */
  applyMany?(events: StoredEvent[], ctx: ProjectionContext): Promise<void>;
}

/** One conditional single-document update of a read model (a projection's unit of work). */
export interface Write {
  collection: string;
  filter: Document;
  update: Document;
  upsert: boolean;
  /**
   * Whether a document shows this write, or one after it in the log that supersedes it: how
   * documentsHold tells that an event's writes are in. Absent: it cannot tell.
   */
  holds?: (doc: Document) => boolean;
}

/** The writes whose upsert created their document (the others matched one, or collided). */
export type Created = Set<Write>;

/** Runs writes one by one; an upsert that collides (already applied, or fenced off) is a no-op. */
export async function runWrites(ctx: ProjectionContext, writes: Write[]): Promise<Created> {
  const created: Created = new Set();
  for (const w of writes) {
    try {
      const result = await ctx.collection(w.collection).updateOne(w.filter, w.update, { upsert: w.upsert });
      if (result.upsertedCount > 0) created.add(w);
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }
  return created;
}

/** Runs writes as one ordered bulk write per collection (throws on any collision: fall back to runWrites). */
export async function bulkWrites(ctx: ProjectionContext, writes: Write[]): Promise<Created> {
  const byCollection = new Map<string, Write[]>();
  for (const w of writes) byCollection.set(w.collection, [...(byCollection.get(w.collection) ?? []), w]);
  const created: Created = new Set();
  await Promise.all(
    [...byCollection].map(async ([name, ws]) => {
      const ops: AnyBulkWriteOperation[] = ws.map((w) => ({
        updateOne: { filter: w.filter, update: w.update, upsert: w.upsert },
      }));
      const result = await ctx.collection(name).bulkWrite(ops, { ordered: true });
      for (const index of Object.keys(result.upsertedIds ?? {})) created.add(ws[Number(index)]!);
    }),
  );
  return created;
}

/**
 * Runs one event's writes with one command per collection (an event that sets latest-in-log fields
 * has several writes to its document), and one by one only when the bulk write collided: an upsert
 * that finds its document already holding the event, or fenced off, is the no-op that runWrites
 * ignores. Every write is idempotent, so those the bulk write made before the collision may run again.
 */
export async function eventWrites(ctx: ProjectionContext, writes: Write[]): Promise<Created> {
  if (writes.length <= 1) return runWrites(ctx, writes);
  try {
    return await bulkWrites(ctx, writes);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return runWrites(ctx, writes);
  }
}

const isDuplicateKey = (err: unknown) => {
  const e = err as { code?: number; writeErrors?: Array<{ code?: number }> };
  return e.code === 11000 || (Array.isArray(e.writeErrors) && e.writeErrors.some((w) => w.code === 11000));
};

/**
 * A projection whose every change is a list of writes per event: `apply` runs them, `applyMany`
 * runs a whole batch's as one bulk write per collection.
 */
export function writeProjection(
  def: Omit<Projection, 'apply' | 'applyMany' | 'documentsOf'> & { writes(event: StoredEvent, epoch: number): Write[] },
): Projection {
  return {
    name: def.name,
    collections: def.collections,
    eventTypes: def.eventTypes,
    ...(def.checkpoint && { checkpoint: def.checkpoint }),
    documentsOf: (event) =>
      def.writes(event, 0).map((w) => ({ collection: w.collection, id: String(w.filter._id), holds: w.holds })),
    apply: async (event, ctx) => {
      await eventWrites(ctx, def.writes(event, ctx.epoch));
    },
    applyMany: async (events, ctx) => {
      await bulkWrites(
        ctx,
        events.flatMap((e) => def.writes(e, ctx.epoch)),
      );
    },
  };
}

/**
 * Whether a collection of a write projection shows every event up to `event`'s position: true when
 * every write the event makes to that collection (`documentsOf`) is in its document (a guarded
 * write is, once the document holds the event's position among the positions applied to it).
 *
 * Why that is enough for the whole collection: the runner hands the log to the projection in
 * position order, holes awaited, and each batch goes to a collection as one ordered bulk write
 * after every earlier batch is written; so once the event's writes are in, every earlier event's
 * write to the collection is too (a parked event counts as handled, as the checkpoint counts it).
 * A position that slid out of a document's window (APPLIED_WINDOW) is far below the checkpoint,
 * which never falls CHECKPOINT_MAX_BEHIND positions behind: it says no here and the checkpoint
 * answers. False, too, when the event writes nothing to the collection, or a write of it cannot
 * tell.
 */
export async function documentsHold(
  projection: Projection,
  collection: Collection<Document>,
  logical: string,
  event: StoredEvent,
): Promise<boolean> {
  const writes = (projection.documentsOf?.(event) ?? []).filter((d) => d.collection === logical);
  if (writes.length === 0 || writes.some((w) => !w.holds)) return false;
  const docs = await collection.find({ _id: { $in: [...new Set(writes.map((w) => w.id))] } } as Document).toArray();
  const byId = new Map(docs.map((d) => [String(d._id), d]));
  // Every write of the event, not only its first to a document: a document can be caught between
  // two writes of one event (one bulk write is not isolated from readers between its operations).
  return writes.every((w) => {
    const doc = byId.get(w.id);
    return doc !== undefined && w.holds!(doc);
  });
}

/** A `guarded` write: applied once per event position, fenced by the lease epoch. */
export function guardedWrite(
  collection: string,
  id: string,
  event: StoredEvent,
  update: { $set?: Document; $inc?: Document; $setOnInsert?: Document; $max?: Document },
  epoch: number,
): Write {
  return {
    collection,
    filter: { _id: id, applied: { $ne: event.position }, ...fenceFilter(epoch) },
    update: {
      ...update,
      $max: { ...(update.$max ?? {}), epoch },
      $push: { applied: { $each: [event.position], $slice: -APPLIED_WINDOW } },
    },
    upsert: true,
    holds: (doc) => Array.isArray(doc.applied) && doc.applied.includes(event.position),
  };
}

export interface ProjectionContext {
  collection<T extends Document = Document>(logical: string): Collection<T>;
  /**
   * The lease epoch this instance writes under (see subscriptions/leases.ts). Every read-model write
   * is conditional on the document's epoch being no higher, and raises it: a projector that lost
   * its lease cannot overwrite what the new holder wrote.
   */
  epoch: number;
}

/** The filter part that fences a write at `epoch` (documents written before epochs existed have none). */
export const fenceFilter = (epoch: number): Document => ({
  $or: [{ epoch: { $lte: epoch } }, { epoch: { $exists: false } }],
});

/** How many recent positions a document remembers: more than the 500-event batch a restart can redeliver. */
export const APPLIED_WINDOW = 600;

export type { Db };
