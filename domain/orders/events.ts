import type { OrderItemInput, PricedItem, ShippingAddress } from './contract';

/**
 * The events of an order's saga, on the services' streams (order-, payment-, reservation-,
 * shipment-, sku-<id>), as the services append them and the read side and the Email service read
 * them. One union, so a projection that switches on `type` gets the right `data`.
 */
type Event<Type extends string, Data> = { type: Type; data: Data };

/** Why an order was cancelled, and which compensations were still open (dead letters) when it was. */
export type OrderCancelledData = {
  orderId: string;
  customerId: string | null;
  total: number | null;
  reason: string;
  openCompensations?: string[];
};

export type OrderEvent =
  | Event<
      'OrderCreated',
      {
        orderId: string;
        customerId: string;
        customer?: string;
        accountId: string;
        items: PricedItem[];
        total: number;
        shippingAddress: ShippingAddress;
        requiresApproval: boolean;
      }
    >
  | Event<'OrderApproved', { orderId: string }>
  | Event<'OrderRejected', { orderId: string; by: string | null; reason: string | null }>
  | Event<'ShippingAddressChanged', { orderId: string; address: ShippingAddress }>
  /** A repairable step failed: the saga waits for an operator's repair (domain/orders/repair.ts). */
  | Event<'OrderNeedsAttention', { orderId: string; step: string; reason: string }>
  | Event<'OrderCompensating', { orderId: string; reason: string }>
  // Earlier versions wrote these from a lookup that could miss; readers must allow their absence.
  | Event<'OrderCompleted', { orderId: string; customerId?: string; total?: number; items?: PricedItem[] }>
  | Event<'OrderCancelled', OrderCancelledData>
  | Event<'OrderCompensationCompleted', { orderId: string }>;

/**
 * A payment's stream is its state: besides the charge and its refund, a decline (the account
 * refused the debit) and a void (a compensation came before any charge, so a late one is refused).
 */
export type PaymentEvent =
  | Event<'PaymentCompleted' | 'PaymentRefunded', { orderId: string; accountId: string; amount: number }>
  | Event<
      'PaymentDeclined',
      { orderId: string; failure: 'InsufficientFunds' | 'AccountNotFound' | 'InvalidAmount'; reason: string }
    >
  | Event<'PaymentVoided', { orderId: string; accountId: string }>;

export type ReservationEvent =
  | Event<'ItemsReserved', { orderId: string; items: OrderItemInput[] }>
  | Event<'ItemsReleased', { orderId: string; items: OrderItemInput[] }>;

/** A shipment's stream is its state: ShipmentVoided is a cancellation that came before any booking (a late one is refused). */
export type ShipmentEvent =
  | Event<'ShipmentScheduled', { orderId: string; trackingId: string; address: ShippingAddress }>
  | Event<'ShipmentCancelled', { orderId: string }>
  | Event<'ShipmentVoided', { orderId: string }>;

export type StockEvent = Event<'StockAdjusted', { sku: string; quantity: number; price: number }>;

/** Every event the order saga's services append. */
export type SagaEvent = OrderEvent | PaymentEvent | ReservationEvent | ShipmentEvent | StockEvent;
export type SagaEventType = SagaEvent['type'];

/** The stream types the saga's events live on (`<type>-<id>`). */
export type SagaStreamType = 'order' | 'payment' | 'reservation' | 'shipment' | 'sku';

/**
 * A stored event seen through the contract. The one cast between the log's untyped documents and
 * the union: the services write only through the typed append (activities/support.ts).
 */
export function asSagaEvent<S extends { type: string; data: unknown }>(
  stored: S,
): Omit<S, 'type' | 'data'> & SagaEvent {
  return stored as unknown as Omit<S, 'type' | 'data'> & SagaEvent;
}
