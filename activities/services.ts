/**
 * The command side's front door for the API: what it may use of the services directly (the
 * catalog to price and restock, an order's owner for the access policy).
 * Everything else reaches the services through the saga.
 */
export { createInventoryCatalog, type InventoryCatalog } from './inventory';
export { createOrderCustomers, type OrderCustomer, type OrderCustomers } from './order-customer';
export { createBreakers, type Breakers, type BreakerView } from './breakers';
