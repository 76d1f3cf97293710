// The saga's types live with the order's contract (domain/orders); the saga's modules import them here.
export { ORDER_STATUSES, type OrderItemInput, type OrderStatus, type PricedItem, type ShippingAddress } from '../domain/orders/contract';
export { policyOf, withDefaultPolicies, type SagaSettings, type ServiceName, type StepPolicy } from '../domain/orders/saga-settings';
export * from '../domain/orders/saga';
