import type { Db } from 'mongodb';

/** The plain collection the minimal saga's activities write its events to. */
export const MINIMAL_EVENTS = 'minimal_events';
/** The read model the minimal saga's watcher keeps, one document per order. */
export const MINIMAL_ORDERS = 'minimal_orders';

export interface MinimalEvent {
  orderId: string;
  type: string;
  at: Date;
}

/**
 * The five steps of the order saga as the least a durable saga on MongoDB can do: each activity
 * inserts its event, once, into a plain collection — no reads, no idempotency check, no position
 * reservation, no state document. What ours costs beyond this is what its promises cost.
 */
export function createMinimalActivities(db: Db) {
  const events = db.collection<MinimalEvent>(MINIMAL_EVENTS);
  const step = (type: string) => async (input: { orderId: string }) => {
    await events.insertOne({ orderId: input.orderId, type, at: new Date() });
    return { orderId: input.orderId };
  };
  return {
    minimalCreateOrder: step('OrderCreated'),
    minimalProcessPayment: step('PaymentProcessed'),
    minimalReserveItems: step('ItemsReserved'),
    minimalScheduleShipment: step('ShipmentScheduled'),
    minimalCompleteOrder: step('OrderCompleted'),
  };
}

export type MinimalActivities = ReturnType<typeof createMinimalActivities>;
