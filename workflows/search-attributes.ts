// The keys are part of the order's contract (domain/orders); the saga's modules import them here.
export { CustomerIdKey, OrderIdKey, OrderStatusKey, searchAttributes } from '../domain/orders/search-attributes';
