import { describe, expect, it } from 'vitest';
import {
  decide,
  evolve,
  initialState,
  ShipmentCancelledError,
  trackingIdOf,
  UndeliverableAddressError,
  type ShipmentCommand,
  type ShipmentDecision,
  type ShipmentState,
} from '../../../domain/shipments';

const orderId = 'o-1234-5678-9abc-def0';
const address = { line1: '1 Main St', city: 'Springfield', postalCode: 'pd1.sealed', country: 'us' };
const otherAddress = { ...address, line1: '2 Elm St' };
const trackingId = 'TRK-O123456789AB';

const scheduled = (at = address): ShipmentDecision => ({
  type: 'ShipmentScheduled',
  data: { orderId, trackingId, address: at },
});
const cancelled: ShipmentDecision = { type: 'ShipmentCancelled', data: { orderId } };
const voided: ShipmentDecision = { type: 'ShipmentVoided', data: { orderId } };

const schedule = (postalCode = '12345', at = address): ShipmentCommand => ({
  type: 'ScheduleShipment',
  orderId,
  address: at,
  postalCode,
});
const cancel: ShipmentCommand = { type: 'CancelShipment', orderId };
const destination = (country: string): ShipmentCommand => ({ type: 'CheckDestination', orderId, country });

const fold = (events: ShipmentDecision[]): ShipmentState => events.reduce(evolve, initialState());

type Case = [
  name: string,
  given: ShipmentDecision[],
  command: ShipmentCommand,
  then: ShipmentDecision[] | (new (...args: never[]) => Error),
];

const cases: Case[] = [
  // Destination
  ['accepts a country the carrier serves, in any case', [], destination('us'), []],
  ['refuses a country the carrier does not serve', [], destination('AQ'), UndeliverableAddressError],
  // Schedule once
  ['schedules a shipment with a tracking id that follows from the order', [], schedule(), [scheduled()]],
  [
    'refuses to schedule to a country the carrier does not serve',
    [],
    schedule('12345', { ...address, country: 'AQ' }),
    UndeliverableAddressError,
  ],
  ['refuses a postal code of zeros', [], schedule('00 000'), UndeliverableAddressError],
  ['repeats a booking already made, as it was made', [scheduled()], schedule('12345', otherAddress), [scheduled()]],
  [
    'refuses a late booking of a shipment cancelled before it was scheduled',
    [voided],
    schedule(),
    ShipmentCancelledError,
  ],
  [
    'refuses a late booking of a shipment cancelled after it was scheduled',
    [scheduled(), cancelled],
    schedule(),
    ShipmentCancelledError,
  ],
  [
    'refuses a retried booking once the compensation cancelled it, at the address it was booked at or a corrected one',
    [scheduled(), cancelled],
    schedule('54321', otherAddress),
    ShipmentCancelledError,
  ],
  // Cancel
  ['cancels a scheduled shipment', [scheduled()], cancel, [cancelled]],
  ['voids a shipment never scheduled, so that a late booking is refused', [], cancel, [voided]],
  [
    'repeats the cancellation of a scheduled shipment when it is retried',
    [scheduled(), cancelled],
    cancel,
    [cancelled],
  ],
  ['records nothing again for a shipment cancelled before it was scheduled', [voided], cancel, []],
];

describe('shipment decider', () => {
  it.each(cases)('%s', (_name, given, command, then) => {
    const state = fold(given);
    if (Array.isArray(then)) expect(decide(command, state)).toEqual(then);
    else expect(() => decide(command, state)).toThrow(then);
  });

  it('names the country and the reason, never the address', () => {
    expect(() => decide(destination('aq'), initialState())).toThrow(
      'cannot deliver to AQ: the carrier does not serve it',
    );
    expect(() => decide(schedule('0000'), initialState())).toThrow('cannot deliver to US: no such postal code');
    expect(() => decide(schedule(), fold([voided]))).toThrow('shipment was cancelled before it could be scheduled');
  });

  it('derives the tracking id from the order id', () => {
    expect(trackingIdOf(orderId)).toBe(trackingId);
  });

  it('keeps a booking and a cancellation as they first happened', () => {
    expect(fold([scheduled(), scheduled(otherAddress)])).toEqual({ status: 'scheduled', trackingId, address });
    expect(fold([voided, scheduled()])).toEqual({ status: 'cancelled', cancelledScheduled: false });
    expect(fold([scheduled(), cancelled])).toEqual({
      status: 'cancelled',
      cancelledScheduled: true,
      trackingId,
      address,
    });
  });

  it('folds a cancellation that is first on its stream (a booking recorded only in the old document) as one that undid a booking', () => {
    expect(fold([cancelled])).toEqual({ status: 'cancelled', cancelledScheduled: true });
    expect(decide(cancel, fold([cancelled]))).toEqual([cancelled]);
    expect(() => decide(schedule(), fold([cancelled]))).toThrow(ShipmentCancelledError);
  });

  it("leaves the state alone for an event type it does not know (a newer writer's)", () => {
    expect(
      evolve(fold([scheduled()]), { type: 'ShipmentDelivered', data: { orderId } } as unknown as ShipmentDecision),
    ).toEqual(fold([scheduled()]));
  });
});
