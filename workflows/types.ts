/** Types shared by the workflow, its activities and the API that starts it (types only: no runtime code). */

export interface OrderItemInput {
  sku: string;
  quantity: number;
}

export interface ShippingAddress {
  line1: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface OrderSagaInput {
  orderId: string;
  customerId: string;
  accountId: string;
  items: OrderItemInput[];
  shippingAddress: ShippingAddress;
  /** Follows the order from the HTTP request through activities and events. */
  correlationId: string;
}

export type OrderStatus = 'PENDING' | 'COMPLETED' | 'CANCELLED';

export interface OrderSagaResult {
  orderId: string;
  status: OrderStatus;
}

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
