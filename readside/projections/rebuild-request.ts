import type { Db } from 'mongodb';
import { projectionState, projectionStates } from './generations';
import { projectionNamed } from './index';

export type RebuildRequest =
  | { requested: true; generation: number; servingGeneration: number }
  | { requested: false; reason: 'unknown' | 'in-progress'; generation?: number };

/**
 * Asks for a rebuild into generation N+1 (the projector that holds the projection's lease carries
 * it out). Refused while one is under way: one conditional update decides between racing requests.
 */
export async function requestRebuild(db: Db, name: string): Promise<RebuildRequest> {
  if (!projectionNamed(name)) return { requested: false, reason: 'unknown' };
  const state = await projectionState(db, name);
  if (state.building !== null) return { requested: false, reason: 'in-progress', generation: state.building };
  const generation = state.active + 1;
  const claimed = await projectionStates(db).updateOne(
    { _id: name, building: null, active: state.active },
    { $set: { building: generation, requestedAt: new Date() } },
  );
  if (claimed.modifiedCount === 0) return { requested: false, reason: 'in-progress' };
  return { requested: true, generation, servingGeneration: state.active };
}
