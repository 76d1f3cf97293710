/**
 * The read side's front door: the only module of readside/ that the rest of the system imports.
 * It offers the read models and their views, how far each has applied and where each stands,
 * rebuild requests, the sent-mail log, and the process that runs every event-log consumer.
 * Its engine (runner, checkpoints, leases, log watcher) stays inside.
 */
export {
  accountsProjection,
  inventoryProjection,
  ordersProjection,
  projectionNamed,
  projections,
  salesProjection,
} from './projections';
export { physicalName, projectionState, readModel } from './projections/generations';
export { orderView, type OrderViewDocument } from './projections/order-view';
export { orderDocumentPosition } from './projections/orders';
export { accountView, type AccountViewDocument } from './projections/accounts';
export { inventoryLevelView, type InventoryLevelDocument } from './projections/inventory';
export { appliedPosition, projectionStatuses, servingPosition, type ProjectionStatus } from './projections/status';
export { stalledProjections, type StalledProjection } from './projections/stalled';
export { requestRebuild, type RebuildRequest } from './projections/rebuild-request';
export { compareWithRebuild } from './projections/verify';
export { documentsHold, type Projection } from './projections/types';
export type { ReadModelView } from './projections/view';
export { addressOf, emailCollection, type EmailDocument } from './email/subscription';
export { startConsumers } from './consumers';
