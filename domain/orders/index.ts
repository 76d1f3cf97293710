export { ORDER_STATUSES, type OrderItemInput, type OrderStatus, type PricedItem, type ShippingAddress } from './contract';
export { asSagaEvent, STREAM_TYPE_OF, type OrderCancelledData, type OrderEvent, type PaymentEvent, type ReservationEvent, type SagaEvent, type SagaEventType, type ShipmentEvent, type StockEvent } from './events';
export { parseShippingAddress, shippingAddressSchema } from './shipping-address';
