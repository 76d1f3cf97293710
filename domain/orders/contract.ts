/**
 * The order's contract, shared by the saga, the services, the read side and the API: what an
 * order is made of (its statuses live in ./status.ts). Types and constants only, so the workflow
 * sandbox can import it.
 */

export interface OrderItemInput {
  sku: string;
  quantity: number;
}

export interface PricedItem extends OrderItemInput {
  /** Unit price in cents, from the catalog at the time the order was created. */
  unitPrice: number;
}

export interface ShippingAddress {
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

// The statuses and their rules have one home: the status table.
export { ORDER_STATUSES, type OrderStatus } from './status';
