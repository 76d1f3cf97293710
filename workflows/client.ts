/**
 * The saga as its clients see it (the API, scripts, tests): the messages it answers, the search
 * attributes it is found by, and its input and status types. Clients import this, never the
 * workflow's implementation.
 */
export {
  approveSignal,
  cancelUpdate,
  placedUpdate,
  placementQuery,
  rejectSignal,
  repairUpdate,
  statusQuery,
  updateShippingAddressUpdate,
} from './definitions';
export { CustomerIdKey, OrderIdKey, OrderStatusKey } from '../infra/search-attribute-keys';
export {
  orderWorkflowId,
  placedUpdateId,
  type OrderPlaced,
  type OrderSagaInput,
  type SagaStatus,
} from '../domain/orders/saga';
export { orderDetails, orderSummary } from './story';

import type { orderSaga } from './order-saga';
import type { redriveCompensation } from './redrive-compensation';
import type { settleOrder } from './settle-order';

/** The workflows' signatures, as type arguments of `client.workflow.start` (type imports: no workflow code is loaded). */
export type OrderSagaWorkflow = typeof orderSaga;
export type RedriveCompensationWorkflow = typeof redriveCompensation;
export type SettleOrderWorkflow = typeof settleOrder;

/**
 * The workflows' registered names, in this one place: start a workflow with its name from here and
 * its signature above, so the compiler checks the arguments and the result.
 */
export const WORKFLOW_NAMES = {
  orderSaga: 'orderSaga',
  redriveCompensation: 'redriveCompensation',
  settleOrder: 'settleOrder',
} as const;
