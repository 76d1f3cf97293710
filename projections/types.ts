import type { Collection, Db, Document, IndexDescription } from 'mongodb';
import type { StoredEvent } from '../eventstore';

/**
 * A read model fed by the event log. `apply` must be idempotent per event: use `guarded` so each
 * document records the positions applied to it (a bounded window) and skips a repeat atomically.
 * Updates are commutative or confined to one stream, so the per-stream ordering kept by parking
 * (see runner) is all the order a projection needs: a rebuild gives the same documents.
 */
export interface Projection {
  name: string;
  /** Logical collection names; each generation gets its own physical collections. */
  collections: Record<string, IndexDescription[]>;
  eventTypes: readonly string[];
  apply(event: StoredEvent, ctx: ProjectionContext): Promise<void>;
}

export interface ProjectionContext {
  collection<T extends Document = Document>(logical: string): Collection<T>;
  /**
   * The lease epoch this instance writes under (see projections/leases.ts). Every read-model write
   * is conditional on the document's epoch being no higher, and raises it: a projector that lost
   * its lease cannot overwrite what the new holder wrote.
   */
  epoch: number;
}

/** The filter part that fences a write at `epoch` (documents written before epochs existed have none). */
export const fenceFilter = (epoch: number): Document => ({ $or: [{ epoch: { $lte: epoch } }, { epoch: { $exists: false } }] });

/**
 * A fenced upsert for projections whose updates are idempotent by nature (facts, maxima): refused
 * (false) when a newer lease holder has written the document.
 */
export async function fencedUpsert<T extends Document>(collection: Collection<T>, id: string, epoch: number, update: Document): Promise<boolean> {
  try {
    const result = await collection.updateOne({ _id: id as never, ...fenceFilter(epoch) }, { ...update, $max: { ...(update.$max ?? {}), epoch } } as never, { upsert: true });
    return result.modifiedCount + result.upsertedCount > 0;
  } catch (err) {
    // The document exists with a higher epoch: the upsert collided with it. Fenced off.
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

/** How many recent positions a document remembers: more than the 500-event batch a restart can redeliver. */
export const APPLIED_WINDOW = 600;

/**
 * Applies `update` to the document unless it already saw this event's position (or a newer lease
 * holder wrote it: see ProjectionContext.epoch). One atomic
 * single-document update: the guard, the change and the bookkeeping land together or not at all.
 */
export async function guarded(
  collection: Collection<Document>,
  id: string,
  event: StoredEvent,
  update: { $set?: Document; $inc?: Document; $setOnInsert?: Document; $max?: Document; $min?: Document },
  options: { upsert?: boolean; epoch: number },
): Promise<boolean> {
  try {
    const result = await collection.updateOne(
      { _id: id as never, applied: { $ne: event.position }, ...fenceFilter(options.epoch) },
      { ...update, $max: { ...(update.$max ?? {}), epoch: options.epoch }, $push: { applied: { $each: [event.position], $slice: -APPLIED_WINDOW } } } as never,
      { upsert: options.upsert ?? true },
    );
    return result.modifiedCount + result.upsertedCount > 0;
  } catch (err) {
    // The document exists but has already applied this position, or a newer lease holder wrote
    // it: the upsert collided with it. Either way there is nothing to do.
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export type { Db };
