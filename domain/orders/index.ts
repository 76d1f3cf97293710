export {
  ORDER_STATUSES,
  type OrderItemInput,
  type OrderStatus,
  type PricedItem,
  type ShippingAddress,
} from './contract';
export {
  asSagaEvent,
  type OrderCancelledData,
  type OrderEvent,
  type PaymentEvent,
  type ReservationEvent,
  type SagaEvent,
  type SagaEventType,
  type SagaStreamType,
  type ShipmentEvent,
  type StockEvent,
} from './events';
export * from './saga';
export * from './commands';
export { decide, evolve, initialState } from './decider';
export { catchUpWithDocument, type LegacyOrderDocument } from './legacy-document';
export * from './errors';
export * from './status';
export {
  DEFAULT_COMPENSATION_POLICY,
  DEFAULT_STEP_POLICIES,
  policyOf,
  withDefaultPolicies,
  type SagaSettings,
  type ServiceName,
  type StepPolicy,
} from './saga-settings';
export {
  ACTIVITY_STEPS,
  APPROVAL,
  FINAL_STEP,
  FORWARD_STEPS,
  SAGA_STEPS,
  SERVICES,
  serviceOf,
  stepRow,
  type CompensationOf,
  type ForwardStep,
  type ForwardStepRow,
  type StepFacts,
} from './steps';
export { parseShippingAddress, shippingAddressSchema } from './shipping-address';
export {
  DEFAULT_REPAIR_WAIT_MS,
  REPAIR_ACTIONS,
  REPAIRABLE_STEPS,
  parseRepairRequest,
  repairRefusal,
  repairUpdateId,
  type RepairAccepted,
  type RepairAction,
  type RepairRequest,
} from './repair';
