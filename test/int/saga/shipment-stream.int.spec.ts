import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShippingActivities } from '../../../activities/shipping';
import { evolve, initialState, type ShipmentDecision } from '../../../domain/shipments';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';

/** The Shipping service against the real MongoDB server: the shipment's stream is its state, each change one conditional append. */
describe('shipment stream', () => {
  let s: FreshStore;
  let unique = 0;
  const orderOf = (name: string) => `${name}-${++unique}`;
  const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

  beforeAll(async () => {
    s = await freshStore();
  });
  afterAll(() => s?.close());

  /** A shipping service of its own (a worker: its own kept folds). Postal codes are given in the clear here. */
  const shippingService = () => createShippingActivities({ db: s.db, events: s.store, open: async (value) => value });
  const stream = async (orderId: string) => (await s.store.readStream(`shipment-${orderId}`)).map((e) => e.type);
  const stateOf = async (orderId: string) =>
    (await s.store.readStream(`shipment-${orderId}`)).reduce(
      (state, e) => evolve(state, e as unknown as ShipmentDecision),
      initialState(),
    );

  it('records a booking and its cancellation as events of the shipment stream and writes no shipments document', async () => {
    const act = shippingService();
    const ctx = { orderId: orderOf('booked'), correlationId: 'c' };
    const { trackingId } = await act.scheduleShipment({ ...ctx, address });
    expect(await act.scheduleShipment({ ...ctx, address })).toEqual({ trackingId });
    expect(await shippingService().scheduleShipment({ ...ctx, address: { ...address, line1: '2 Elm St' } })).toEqual({
      trackingId,
    });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentScheduled']);
    expect(await act.cancelShipment(ctx)).toEqual({ cancelled: true });
    expect(await act.cancelShipment(ctx)).toEqual({ cancelled: true });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentScheduled', 'ShipmentCancelled']);
    expect(await stateOf(ctx.orderId)).toMatchObject({
      status: 'cancelled',
      cancelledScheduled: true,
      trackingId,
      address,
    });
    expect(await s.db.collection('shipments').countDocuments()).toBe(0);
  });

  it('records a void when the cancellation comes first, so that a late booking is refused', async () => {
    const ctx = { orderId: orderOf('void-first'), correlationId: 'c' };
    expect(await shippingService().cancelShipment(ctx)).toEqual({ cancelled: false });
    expect(await shippingService().cancelShipment(ctx)).toEqual({ cancelled: false });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentVoided']);
    await expect(shippingService().scheduleShipment({ ...ctx, address })).rejects.toMatchObject({
      type: 'UndeliverableAddress',
      message: 'shipment was cancelled before it could be scheduled',
      nonRetryable: true,
    });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentVoided']);
  });

  it('refuses a late booking on a worker whose kept fold says the shipment was booked, once another worker cancelled it', async () => {
    const booker = shippingService();
    const ctx = { orderId: orderOf('stale-fold'), correlationId: 'c' };
    await booker.scheduleShipment({ ...ctx, address });
    expect(await shippingService().cancelShipment(ctx)).toEqual({ cancelled: true });
    await expect(booker.scheduleShipment({ ...ctx, address })).rejects.toMatchObject({ type: 'UndeliverableAddress' });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentScheduled', 'ShipmentCancelled']);
  });

  it('refuses a retried booking on a worker that never saw the shipment, once the compensation cancelled it', async () => {
    const ctx = { orderId: orderOf('cold-retry'), correlationId: 'c' };
    const { trackingId } = await shippingService().scheduleShipment({ ...ctx, address });
    expect(await shippingService().cancelShipment(ctx)).toEqual({ cancelled: true });
    await expect(shippingService().scheduleShipment({ ...ctx, address })).rejects.toMatchObject({
      type: 'UndeliverableAddress',
      message: 'shipment was cancelled before it could be scheduled',
      nonRetryable: true,
    });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentScheduled', 'ShipmentCancelled']);
    expect(await stateOf(ctx.orderId)).toMatchObject({ status: 'cancelled', cancelledScheduled: true, trackingId });
  });

  it('answers a retried booking on a worker that never saw the shipment with the booking, while it stands', async () => {
    const ctx = { orderId: orderOf('cold-repeat'), correlationId: 'c' };
    const { trackingId } = await shippingService().scheduleShipment({ ...ctx, address });
    expect(await shippingService().scheduleShipment({ ...ctx, address })).toEqual({ trackingId });
    expect(await stream(ctx.orderId)).toEqual(['ShipmentScheduled']);
  });

  describe('a shipment recorded only in the document of the previous version (its saga began before)', () => {
    const legacy = () =>
      s.db.collection<{ _id: string; status: string; address?: object; trackingId?: string; updatedAt: Date }>(
        'shipments',
      );

    it('cancels a booking once, and records the cancellation on its stream', async () => {
      const orderId = orderOf('legacy-booked');
      await legacy().insertOne({
        _id: orderId,
        status: 'scheduled',
        address,
        trackingId: 'TRK-LEGACY',
        updatedAt: new Date(),
      });
      expect(await shippingService().cancelShipment({ orderId, correlationId: 'c' })).toEqual({ cancelled: true });
      expect(await shippingService().cancelShipment({ orderId, correlationId: 'c' })).toEqual({ cancelled: true });
      expect(await stream(orderId)).toEqual(['ShipmentCancelled']);
      expect(await stateOf(orderId)).toMatchObject({ status: 'cancelled', cancelledScheduled: true });
    });

    it('leaves a shipment cancelled before its booking as it is, and records nothing', async () => {
      const orderId = orderOf('legacy-voided');
      await legacy().insertOne({ _id: orderId, status: 'cancelled', updatedAt: new Date() });
      expect(await shippingService().cancelShipment({ orderId, correlationId: 'c' })).toEqual({ cancelled: false });
      expect(await stream(orderId)).toEqual([]);
    });
  });
});
