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
}

/** How many recent positions a document remembers: more than the 500-event batch a restart can redeliver. */
export const APPLIED_WINDOW = 600;

/**
 * Applies `update` to the document unless it already saw this event's position. One atomic
 * single-document update: the guard, the change and the bookkeeping land together or not at all.
 */
export async function guarded(
  collection: Collection<Document>,
  id: string,
  event: StoredEvent,
  update: { $set?: Document; $inc?: Document; $setOnInsert?: Document; $max?: Document; $min?: Document },
  options: { upsert?: boolean } = { upsert: true },
): Promise<boolean> {
  try {
    const result = await collection.updateOne(
      { _id: id as never, applied: { $ne: event.position } },
      { ...update, $push: { applied: { $each: [event.position], $slice: -APPLIED_WINDOW } } } as never,
      { upsert: options.upsert ?? true },
    );
    return result.modifiedCount + result.upsertedCount > 0;
  } catch (err) {
    // The document exists but has already applied this position: the upsert collided with it.
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export type { Db };
