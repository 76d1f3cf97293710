import { deterministicEventId } from '../eventstore/metadata';
import type { ShippingAddress } from '../domain/orders';
import { appendSagaEvent, businessFailure, type OrderContext, type ServiceDeps } from './support';

/** Countries the carrier delivers to; anything else is an undeliverable address (a business failure). */
export const DELIVERABLE_COUNTRIES = new Set(['US', 'CA', 'MX', 'GB', 'IE', 'FR', 'DE', 'NL', 'BE', 'ES', 'PT', 'IT', 'AT', 'CH', 'SE', 'NO', 'DK', 'FI', 'PL', 'AU', 'NZ', 'JP']);

interface ShipmentDocument {
  _id: string; // order id
  status: 'scheduled' | 'cancelled';
  address?: ShippingAddress;
  trackingId?: string;
  /** Set when a cancellation undid a scheduled shipment (so its event is written even after a crash). */
  cancelledScheduled?: boolean;
  updatedAt: Date;
}

/** `open`: reads a personal field the API sealed (the carrier needs the real postal code); the address is stored and recorded sealed. */
export function createShippingActivities({ db, events, open }: ServiceDeps & { open: (value: string) => Promise<string> }) {
  const shipments = db.collection<ShipmentDocument>('shipments');

  return {
    async scheduleShipment({ orderId, correlationId, address }: OrderContext & { address: ShippingAddress }): Promise<{ trackingId: string }> {
      const country = address.country.toUpperCase();
      if (!DELIVERABLE_COUNTRIES.has(country)) throw businessFailure('UndeliverableAddress', `cannot deliver to ${country}: the carrier does not serve it`);
      // The failure's message ends up in the history and the read models: it names no personal data.
      if (/^0+$/.test((await open(address.postalCode)).replace(/\s/g, ''))) throw businessFailure('UndeliverableAddress', `cannot deliver to ${country}: no such postal code`);
      const trackingId = `TRK-${orderId.replace(/-/g, '').slice(0, 12).toUpperCase()}`;
      // One document per order: scheduling twice is a no-op; a cancelled shipment stays cancelled
      // (a late retry must not book a carrier for an order that was already undone).
      const doc = await shipments.findOneAndUpdate(
        { _id: orderId },
        { $setOnInsert: { status: 'scheduled', address, trackingId, updatedAt: new Date() } },
        { upsert: true, returnDocument: 'after' },
      );
      if (doc?.status === 'cancelled') throw businessFailure('UndeliverableAddress', 'shipment was cancelled before it could be scheduled');
      await appendSagaEvent(events, { type: 'shipment', id: orderId }, { type: 'ShipmentScheduled', eventId: deterministicEventId('shipping', orderId, 'scheduled'), data: { orderId, trackingId: doc!.trackingId ?? trackingId, address: doc!.address ?? address } }, correlationId);
      return { trackingId: doc!.trackingId! };
    },

    /** Compensation: cancels the shipment if one was scheduled; records the cancellation either way. */
    async cancelShipment({ orderId, correlationId }: OrderContext): Promise<{ cancelled: boolean }> {
      // Marker first: the upsert races a late scheduleShipment's upsert on the same _id, and exactly
      // one of them inserts. If ours did, the late booking finds it cancelled and refuses; if the
      // booking won, it is undone here (remembering that it was scheduled, for the event).
      await shipments.updateOne({ _id: orderId }, { $setOnInsert: { status: 'cancelled', updatedAt: new Date() } }, { upsert: true });
      await shipments.updateOne({ _id: orderId, status: 'scheduled' }, { $set: { status: 'cancelled', cancelledScheduled: true, updatedAt: new Date() } });
      const doc = await shipments.findOne({ _id: orderId });
      const cancelledScheduled = doc?.cancelledScheduled === true;
      if (cancelledScheduled) {
        await appendSagaEvent(events, { type: 'shipment', id: orderId }, { type: 'ShipmentCancelled', eventId: deterministicEventId('shipping', orderId, 'cancelled'), data: { orderId } }, correlationId);
      }
      return { cancelled: cancelledScheduled };
    },
  };
}

export type ShippingActivities = ReturnType<typeof createShippingActivities>;
