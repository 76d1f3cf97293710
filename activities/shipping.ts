import { randomUUID } from 'node:crypto';
import { deterministicEventId } from '../eventstore/metadata';
import type { Evolver } from '../eventstore';
import type { ShippingAddress } from '../domain/orders';
import {
  decide,
  evolve,
  initialState,
  ShipmentDomainError,
  type ShipmentCommand,
  type ShipmentDecision,
  type ShipmentState,
} from '../domain/shipments';
import { emptyFold, streamStates, type Fold, type StreamStore } from './stream-state';
import { businessFailure, type OrderContext, type ServiceDeps } from './support';

export { DELIVERABLE_COUNTRIES } from '../domain/shipments';

/** The shipment's state is the fold of its stream (`shipment-<orderId>`). */
const shipmentEvolver: Evolver<ShipmentState> = {
  initialState,
  evolve: (state, event) => evolve(state, event as unknown as ShipmentDecision),
};

/** The document the service kept per order before its stream was its state; only read, for shipments that have nothing else. */
interface LegacyShipmentDocument {
  _id: string; // order id
  status: 'scheduled' | 'cancelled';
  address?: ShippingAddress;
  trackingId?: string;
  cancelledScheduled?: boolean;
}

function legacyState(doc: LegacyShipmentDocument | null): ShipmentState {
  if (!doc) return { status: null };
  const { trackingId, address } = doc;
  if (doc.status === 'scheduled' && trackingId !== undefined && address !== undefined)
    return { status: 'scheduled', trackingId, address };
  // A booking never completed (its document lacks the booking's details): nothing was booked.
  if (doc.status === 'scheduled') return { status: null };
  return {
    status: 'cancelled',
    cancelledScheduled: doc.cancelledScheduled === true,
    ...(trackingId !== undefined && { trackingId }),
    ...(address !== undefined && { address }),
  };
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

/** Whether decided events change the shipment (they are appended) or repeat what its stream holds. */
const changes = (state: ShipmentState, decided: ShipmentDecision[]) =>
  decided.reduce(evolve, state).status !== state.status;

/** Each state change is one append that expects the version it was decided on; a stream that moved on is decided on again. */
const MAX_ROUNDS = 20;

/** `open`: reads a personal field the API sealed (the carrier needs the real postal code); the address is stored and recorded sealed. */
export function createShippingActivities({
  db,
  events,
  open,
}: Omit<ServiceDeps, 'events'> & { events: StreamStore; open: (value: string) => Promise<string> }) {
  const legacy = db.collection<LegacyShipmentDocument>('shipments');
  const shipments = streamStates(events, 'shipment', shipmentEvolver);
  /**
   * A cancellation's id follows from the order, so a retried one is a repeat. A booking's is new on
   * every attempt: it is decided on a fold that may be behind the stream (or taken as empty), and
   * only its expected version, refused once the stream holds anything, makes the booking be decided
   * again on the stream as it is. An id that followed from the order would be answered as the first
   * booking was written, wherever the stream is now: booked, after a compensation had cancelled it.
   * The expected version alone keeps the booking single.
   */
  const eventIdOf = (orderId: string, event: ShipmentDecision) =>
    event.type === 'ShipmentScheduled'
      ? randomUUID()
      : deterministicEventId('shipping', orderId, event.type === 'ShipmentCancelled' ? 'cancelled' : 'voided');
  const record = (orderId: string, fold: Fold<ShipmentState>, decided: ShipmentDecision[], correlationId: string) =>
    shipments.append(
      orderId,
      fold,
      decided.map((e) => ({ ...e, eventId: eventIdOf(orderId, e) })),
      correlationId,
    );

  /**
   * The shipment now; a stream with no events falls back to the document kept before the stream
   * was the state (a saga that began before, whose compensation runs here). Only compensations
   * ask: a saga's steps run on the build it began on (pinned), while a compensation parked as a
   * dead letter may be redriven on a later one.
   */
  async function current(orderId: string): Promise<Fold<ShipmentState>> {
    const fold = await shipments.load(orderId);
    if (fold.version > 0) return fold;
    return { ...fold, state: legacyState(await legacy.findOne({ _id: orderId })) };
  }

  return {
    async scheduleShipment({
      orderId,
      correlationId,
      address,
    }: OrderContext & { address: ShippingAddress }): Promise<{ trackingId: string }> {
      // The country first: opening the postal code reads the customer's key.
      rules({ type: 'CheckDestination', orderId, country: address.country }, initialState());
      const schedule: ShipmentCommand = {
        type: 'ScheduleShipment',
        orderId,
        address,
        postalCode: await open(address.postalCode),
      };
      rules(schedule, initialState());
      // Decided on the fold this process holds (a stream it has not seen is taken as empty), and
      // appended expecting its version: anything the stream already holds (a cancellation, or an
      // earlier attempt's booking) makes the append refuse, and the booking is decided again on
      // the stream as it is, where the rules refuse it or repeat the booking made. A cancelled
      // shipment stays cancelled, so a kept fold may refuse; one that finds the booking made is
      // checked against the stream first.
      let fold = shipments.known(orderId) ?? emptyFold(shipmentEvolver);
      let fresh = false;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const decided = rules(schedule, fold.state);
        const booking = decided[0];
        if (booking?.type !== 'ShipmentScheduled') throw new Error(`order ${orderId}: no ShipmentScheduled decided`);
        if (!changes(fold.state, decided) && fresh) return { trackingId: booking.data.trackingId };
        const after = changes(fold.state, decided) ? await record(orderId, fold, decided, correlationId) : null;
        if (after?.state.status === 'scheduled') return { trackingId: after.state.trackingId };
        // Moved on, or known only from memory: decide on the stream as it is.
        fold = after ?? (await shipments.load(orderId));
        fresh = true;
      }
      throw new Error(`order ${orderId}: the shipment's stream kept moving while it was being booked`);
    },

    /** Compensation: cancels the shipment if one was scheduled; voids it otherwise, so that a late booking is refused. */
    async cancelShipment({ orderId, correlationId }: OrderContext): Promise<{ cancelled: boolean }> {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const fold = await current(orderId);
        const decided = rules({ type: 'CancelShipment', orderId }, fold.state);
        const told = decided.some((e) => e.type === 'ShipmentCancelled');
        if (!changes(fold.state, decided)) return { cancelled: told };
        if (await record(orderId, fold, decided, correlationId)) return { cancelled: told };
      }
      throw new Error(`order ${orderId}: the shipment's stream kept moving while it was being cancelled`);
    },
  };
}

export type ShippingActivities = ReturnType<typeof createShippingActivities>;
