import type { ShipmentCommand, ShipmentState } from './commands';
import { ShipmentCancelledError, UndeliverableAddressError } from './errors';
import type { ShipmentDecision } from './events';

/**
 * One order's shipment as a decider: pure functions, no I/O. The Shipping service folds the
 * shipment's stream, lets `decide` say what to append (or throw a typed error, ./errors.ts) and
 * appends it expecting the version it decided on; a stream that moved on is decided on again.
 */

/** Countries the carrier delivers to; anything else is an undeliverable address (a business failure). */
export const DELIVERABLE_COUNTRIES = new Set([
  'US',
  'CA',
  'MX',
  'GB',
  'IE',
  'FR',
  'DE',
  'NL',
  'BE',
  'ES',
  'PT',
  'IT',
  'AT',
  'CH',
  'SE',
  'NO',
  'DK',
  'FI',
  'PL',
  'AU',
  'NZ',
  'JP',
]);

/** The carrier's tracking id follows from the order, so every attempt books the same one. */
export const trackingIdOf = (orderId: string) => `TRK-${orderId.replace(/-/g, '').slice(0, 12).toUpperCase()}`;

export const initialState = (): ShipmentState => ({ status: null });

export function evolve(state: ShipmentState, event: ShipmentDecision): ShipmentState {
  switch (event.type) {
    case 'ShipmentScheduled':
      return state.status === null
        ? { status: 'scheduled', trackingId: event.data.trackingId, address: event.data.address }
        : state;
    case 'ShipmentVoided':
      return state.status === null ? { status: 'cancelled', cancelledScheduled: false } : state;
    case 'ShipmentCancelled':
      if (state.status === 'scheduled') return { ...state, status: 'cancelled', cancelledScheduled: true };
      // First on its stream: it undid a booking recorded only in the service's old document.
      return state.status === null ? { status: 'cancelled', cancelledScheduled: true } : state;
    default:
      // Events this code does not know (written by a newer version) leave the state alone.
      return state;
  }
}

export function decide(command: ShipmentCommand, state: ShipmentState): ShipmentDecision[] {
  const { orderId } = command;
  switch (command.type) {
    case 'CheckDestination': {
      const country = command.country.toUpperCase();
      if (!DELIVERABLE_COUNTRIES.has(country))
        throw new UndeliverableAddressError(country, 'the carrier does not serve it');
      return [];
    }
    case 'ScheduleShipment': {
      if (state.status === 'cancelled') throw new ShipmentCancelledError(orderId);
      // Schedule once: a booking already made is repeated as it was made.
      if (state.status === 'scheduled')
        return [{ type: 'ShipmentScheduled', data: { orderId, trackingId: state.trackingId, address: state.address } }];
      decide({ type: 'CheckDestination', orderId, country: command.address.country }, state);
      if (/^0+$/.test(command.postalCode.replace(/\s/g, '')))
        throw new UndeliverableAddressError(command.address.country.toUpperCase(), 'no such postal code');
      return [
        { type: 'ShipmentScheduled', data: { orderId, trackingId: trackingIdOf(orderId), address: command.address } },
      ];
    }
    case 'CancelShipment':
      switch (state.status) {
        // Never scheduled: it stays cancelled, so that a late booking for an undone order is refused.
        case null:
          return [{ type: 'ShipmentVoided', data: { orderId } }];
        case 'scheduled':
          return [{ type: 'ShipmentCancelled', data: { orderId } }];
        // A cancellation that undid a booking is recorded again when it is retried; one that came first records nothing.
        case 'cancelled':
          return state.cancelledScheduled ? [{ type: 'ShipmentCancelled', data: { orderId } }] : [];
      }
  }
}
