import type { Db } from 'mongodb';
import { checkpoints } from '../subscriptions/checkpoints';
import { checkpointIdOf, projectionState, projectionStates } from './generations';
import { projectionNamed } from './index';

/**
 * The read side's front door: everything the API may use of it — the read models, how far each
 * has applied, where each stands, and rebuild requests. The API imports nothing else of it.
 */
export { accountsProjection, inventoryProjection, ordersProjection, projectionNamed, projections, salesProjection } from './index';
export { readModel } from './generations';
export { orderView, type OrderViewDocument } from './order-view';
export { accountView, type AccountViewDocument } from './accounts';
export { inventoryLevelView, type InventoryLevelDocument } from './inventory';
export { projectionStatuses, type ProjectionStatus } from './status';
export { stalledProjections, type StalledProjection } from './stalled';
export type { Projection } from './types';
export type { ReadModelView } from './view';

/** The global position up to which a projection's serving generation has applied the log. */
export async function appliedPosition(db: Db, name: string): Promise<number> {
  const state = await projectionState(db, name);
  return (await checkpoints(db).findOne({ _id: checkpointIdOf(name, state.active) }))?.position ?? 0;
}

export type RebuildRequest = { requested: true; generation: number; servingGeneration: number } | { requested: false; reason: 'unknown' | 'in-progress'; generation?: number };

/**
 * Asks for a rebuild into generation N+1 (the projector that holds the projection's lease carries
 * it out). Refused while one is under way: one conditional update decides between racing requests.
 */
export async function requestRebuild(db: Db, name: string): Promise<RebuildRequest> {
  if (!projectionNamed(name)) return { requested: false, reason: 'unknown' };
  const state = await projectionState(db, name);
  if (state.building !== null) return { requested: false, reason: 'in-progress', generation: state.building };
  const generation = state.active + 1;
  const claimed = await projectionStates(db).updateOne({ _id: name, building: null, active: state.active }, { $set: { building: generation, requestedAt: new Date() } });
  if (claimed.modifiedCount === 0) return { requested: false, reason: 'in-progress' };
  return { requested: true, generation, servingGeneration: state.active };
}
