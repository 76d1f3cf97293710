/**
 * The order's contract, shared by the saga, the services, the read side and the API: what an
 * order is made of and the statuses it passes through. Types and constants only, so the workflow
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

export type OrderStatus =
  | 'PENDING'
  | 'AWAITING_APPROVAL'
  | 'PAYMENT_COMPLETED'
  | 'ITEMS_RESERVED'
  | 'SHIPMENT_SCHEDULED'
  | 'COMPLETED'
  | 'COMPENSATING'
  | 'CANCELLED'
  /** Cancelled, but some compensation could not succeed and is an open dead letter (see openDeadLetters). */
  | 'COMPENSATION_INCOMPLETE';

/** Every order status, in the order a saga can pass through them (the API validates filters against it). */
export const ORDER_STATUSES = [
  'PENDING',
  'AWAITING_APPROVAL',
  'PAYMENT_COMPLETED',
  'ITEMS_RESERVED',
  'SHIPMENT_SCHEDULED',
  'COMPLETED',
  'COMPENSATING',
  'CANCELLED',
  'COMPENSATION_INCOMPLETE',
] as const satisfies readonly OrderStatus[];
