export { ORDER_STATUSES, type OrderItemInput, type OrderStatus, type PricedItem, type ShippingAddress } from './contract';
export { asSagaEvent, type OrderCancelledData, type OrderEvent, type PaymentEvent, type ReservationEvent, type SagaEvent, type SagaEventType, type SagaStreamType, type ShipmentEvent, type StockEvent } from './events';
export * from './saga';
export * from './status';
export type { SagaSettings, ServiceName, StepPolicy } from './saga-settings';
export { CustomerIdKey, OrderIdKey, OrderStatusKey, searchAttributes } from './search-attributes';
export { parseShippingAddress, shippingAddressSchema } from './shipping-address';
export { currentDetails, money, orderDetails, orderSummary, stepSummaries } from './story';
