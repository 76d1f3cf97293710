import type { ShippingAddress } from '../orders/contract';

/**
 * One order's shipment, as the fold of its stream: scheduled once, cancelled for good.
 * `cancelledScheduled` tells a cancellation that undid a booking (and is told) from one that came
 * first (and only stops a late booking).
 */
export type ShipmentState =
  | { status: null }
  | { status: 'scheduled'; trackingId: string; address: ShippingAddress }
  | { status: 'cancelled'; cancelledScheduled: boolean; trackingId?: string; address?: ShippingAddress };

/** Where the carrier is asked to deliver. */
export type CheckDestination = { type: 'CheckDestination'; orderId: string; country: string };
/** `postalCode` is the address's postal code opened (the address itself stays sealed). */
export type ScheduleShipment = {
  type: 'ScheduleShipment';
  orderId: string;
  address: ShippingAddress;
  postalCode: string;
};
export type CancelShipment = { type: 'CancelShipment'; orderId: string };

export type ShipmentCommand = CheckDestination | ScheduleShipment | CancelShipment;
