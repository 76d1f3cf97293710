import type { ShipmentEvent } from '../orders/events';

/**
 * What happens to one order's shipment: every decision is an event on the shipment's stream (the
 * order contract's ShipmentEvent), and the shipment's state is the fold of them. ShipmentVoided, a
 * cancellation that came before any booking, tells the read side nothing (nothing was booked); it
 * is what makes a late booking refuse.
 */
export type ShipmentDecision = ShipmentEvent;
