import { deterministicEventId } from '../eventstore/metadata';
import type { ShipmentEvent, ShippingAddress } from '../domain/orders';
import { decide, initialState, ShipmentDomainError, type ShipmentCommand, type ShipmentDecision, type ShipmentState } from '../domain/shipments';
import { appendSagaEvent, businessFailure, type OrderContext, type ServiceDeps } from './support';

export { DELIVERABLE_COUNTRIES } from '../domain/shipments';

interface ShipmentDocument {
  _id: string; // order id
  status: 'scheduled' | 'cancelled';
  address?: ShippingAddress;
  trackingId?: string;
  /** Set when a cancellation undid a scheduled shipment (so its event is written even after a crash). */
  cancelledScheduled?: boolean;
  updatedAt: Date;
}

/** The record as the decider sees it; `booked` is what this attempt would have booked, for a record that lacks it. */
function stateOf(doc: ShipmentDocument | null, booked?: { trackingId: string; address: ShippingAddress }): ShipmentState {
  if (!doc) return { status: null };
  const trackingId = doc.trackingId ?? booked?.trackingId;
  const address = doc.address ?? booked?.address;
  if (doc.status === 'scheduled' && trackingId !== undefined && address !== undefined) return { status: 'scheduled', trackingId, address };
  if (doc.status === 'scheduled') throw new Error(`shipment ${doc._id} is scheduled without its tracking id or address`);
  return { status: 'cancelled', cancelledScheduled: doc.cancelledScheduled === true, ...(trackingId !== undefined && { trackingId }), ...(address !== undefined && { address }) };
}

/** The shipment's rules (domain/shipments); a rule that refuses is a business failure, never retried. */
function rules(command: ShipmentCommand, state: ShipmentState): ShipmentDecision[] {
  try {
    return decide(command, state);
  } catch (err) {
    if (err instanceof ShipmentDomainError) throw businessFailure(err.code, err.message);
    throw err;
  }
}

/** The decided events that go to the log (a void is the record's own). */
const logged = (decided: ShipmentDecision[]): ShipmentEvent[] => decided.filter((e): e is ShipmentEvent => e.type !== 'ShipmentVoided');

/** `open`: reads a personal field the API sealed (the carrier needs the real postal code); the address is stored and recorded sealed. */
export function createShippingActivities({ db, events, open }: ServiceDeps & { open: (value: string) => Promise<string> }) {
  const shipments = db.collection<ShipmentDocument>('shipments');

  const eventIdOf = (orderId: string, event: ShipmentEvent) => deterministicEventId('shipping', orderId, event.type === 'ShipmentScheduled' ? 'scheduled' : 'cancelled');

  return {
    async scheduleShipment({ orderId, correlationId, address }: OrderContext & { address: ShippingAddress }): Promise<{ trackingId: string }> {
      // The country first: opening the postal code reads the customer's key.
      rules({ type: 'CheckDestination', orderId, country: address.country }, initialState());
      const schedule: ShipmentCommand = { type: 'ScheduleShipment', orderId, address, postalCode: await open(address.postalCode) };
      const [booking] = rules(schedule, initialState());
      if (booking?.type !== 'ShipmentScheduled') throw new Error(`order ${orderId}: no ShipmentScheduled decided for a new shipment`);
      const booked = booking.data;
      // One document per order: scheduling twice is a no-op; a cancelled shipment stays cancelled
      // (a late retry must not book a carrier for an order that was already undone).
      const doc = await shipments.findOneAndUpdate(
        { _id: orderId },
        { $setOnInsert: { status: 'scheduled', address: booked.address, trackingId: booked.trackingId, updatedAt: new Date() } },
        { upsert: true, returnDocument: 'after' },
      );
      const [scheduled] = rules(schedule, stateOf(doc, booked));
      if (scheduled?.type !== 'ShipmentScheduled') throw new Error(`order ${orderId}: no ShipmentScheduled decided for a scheduled shipment`);
      await appendSagaEvent(events, { type: 'shipment', id: orderId }, { ...scheduled, eventId: eventIdOf(orderId, scheduled) }, correlationId);
      return { trackingId: scheduled.data.trackingId };
    },

    /** Compensation: cancels the shipment if one was scheduled; records the cancellation either way. */
    async cancelShipment({ orderId, correlationId }: OrderContext): Promise<{ cancelled: boolean }> {
      // Marker first: the upsert races a late scheduleShipment's upsert on the same _id, and exactly
      // one of them inserts. If ours did, the late booking finds it cancelled and refuses; if the
      // booking won, it is undone here (remembering that it was scheduled, for the event).
      await shipments.updateOne({ _id: orderId }, { $setOnInsert: { status: 'cancelled', updatedAt: new Date() } }, { upsert: true });
      await shipments.updateOne({ _id: orderId, status: 'scheduled' }, { $set: { status: 'cancelled', cancelledScheduled: true, updatedAt: new Date() } });
      const told = logged(rules({ type: 'CancelShipment', orderId }, stateOf(await shipments.findOne({ _id: orderId }))));
      for (const event of told) await appendSagaEvent(events, { type: 'shipment', id: orderId }, { ...event, eventId: eventIdOf(orderId, event) }, correlationId);
      return { cancelled: told.length > 0 };
    },
  };
}

export type ShippingActivities = ReturnType<typeof createShippingActivities>;
