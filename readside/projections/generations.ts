import type { Db, Document } from 'mongodb';
import type { Projection, ProjectionContext } from './types';

/**
 * Each projection writes to one generation of collections at a time (`rm_<projection>_<name>_g<N>`).
 * A rebuild fills generation N+1 from position 0 while N keeps serving reads, then the pointer
 * moves to N+1 in one single-document update.
 */
export interface ProjectionStateDocument {
  _id: string;
  active: number;
  /** Generation being rebuilt, if a rebuild is under way. */
  building: number | null;
  requestedAt: Date | null;
  swappedAt: Date | null;
  /** When a projector last looked after this projection (tells a rebuild request whether anyone will act on it). */
  heartbeatAt: Date | null;
  /** The latest parks of its events, newest last: the park breaker's memory (park-breaker.ts). */
  recentParks?: Array<{ streamId: string; at: Date }>;
}

/** What a projection's state is when it is first written. */
export const INITIAL_PROJECTION_STATE = {
  active: 1,
  building: null,
  requestedAt: null,
  swappedAt: null,
  heartbeatAt: null,
} as const;

export const projectionStates = (db: Db) => db.collection<ProjectionStateDocument>('projection_state');

export const physicalName = (projection: string, logical: string, generation: number) =>
  `rm_${projection}_${logical}_g${generation}`;
export const checkpointIdOf = (projection: string, generation: number) => `projection:${projection}:g${generation}`;

export async function projectionState(db: Db, name: string): Promise<ProjectionStateDocument> {
  // Read first: the upsert (a write) is only needed the very first time.
  const existing = await projectionStates(db).findOne({ _id: name });
  if (existing) return existing;
  const state = await projectionStates(db).findOneAndUpdate(
    { _id: name },
    { $setOnInsert: INITIAL_PROJECTION_STATE },
    { upsert: true, returnDocument: 'after' },
  );
  return state!;
}

export function contextFor(db: Db, projection: Projection, generation: number, epoch = 0): ProjectionContext {
  return {
    epoch,
    collection<T extends Document = Document>(logical: string) {
      if (!(logical in projection.collections))
        throw new Error(`projection ${projection.name} has no collection ${logical}`);
      return db.collection<T>(physicalName(projection.name, logical, generation));
    },
  };
}

export async function ensureGeneration(db: Db, projection: Projection, generation: number): Promise<void> {
  for (const [logical, indexes] of Object.entries(projection.collections)) {
    if (indexes.length) await db.collection(physicalName(projection.name, logical, generation)).createIndexes(indexes);
  }
}

export async function dropGeneration(db: Db, projection: Projection, generation: number): Promise<void> {
  for (const logical of Object.keys(projection.collections)) {
    await db
      .collection(physicalName(projection.name, logical, generation))
      .drop()
      .catch(() => {});
  }
}

/** The collection queries read: the active generation's. */
export async function readModel<T extends Document = Document>(db: Db, projection: Projection, logical: string) {
  const state = await projectionState(db, projection.name);
  return contextFor(db, projection, state.active).collection<T>(logical);
}
