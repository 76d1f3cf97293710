import type { ShipmentEvent } from '../orders/events';

/**
 * What happens to one order's shipment. ShipmentScheduled and ShipmentCancelled go to the log (the
 * order contract's ShipmentEvent); ShipmentVoided, a cancellation that came before any booking,
 * is kept only in the Shipping service's own record (nothing was booked, so nothing is told).
 */
export type ShipmentDecision = ShipmentEvent | { type: 'ShipmentVoided'; data: { orderId: string } };
