import fc from 'fast-check';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import { ordersProjection } from '../../../readside/projections/orders';
import type { OrderViewDocument } from '../../../readside/projections/order-view';
import type { ProjectionContext } from '../../../readside/projections/types';
import { useMonitoredMongo } from '../../helpers/monitored-mongo';

/**
 * The orders view holds the same document for an order whatever order its events are applied in:
 * a dead letter redriven after the events behind it, a stream parked while the others flowed, a
 * batch delivered again. Generated on MongoDB: an order's history (approval, address changes, a
 * repair that corrects the address, a hold after the booking, completion or compensation with or
 * without open compensations, or still held), then any permutation of it, in batches or one by one,
 * with repeats. The status follows the log: an order held after its booking shows NEEDS_ATTENTION.
 */
type Address = { line1: string; city: string; postalCode: string; country: string };
const addressOf = (n: number): Address => ({
  line1: `sealed:${n} Main St`,
  city: 'sealed:Springfield',
  postalCode: `sealed:${10_000 + n}`,
  country: 'US',
});

interface Story {
  requiresApproval: boolean;
  /** Address changes before the payment (a customer's). */
  changes: number;
  /** The shipment's step waits for a repair that corrects the address. */
  corrected: boolean;
  /** Booked, then held by its settlement (the saga ended before completeOrder). */
  held: boolean;
  /** `waiting`: held and not repaired yet (booked and held whatever `held` says). */
  outcome: 'completed' | 'waiting' | 'cancelled' | 'incomplete' | 'incomplete-then-redriven';
}

const storyArb: fc.Arbitrary<Story> = fc.record({
  requiresApproval: fc.boolean(),
  changes: fc.integer({ min: 0, max: 2 }),
  corrected: fc.boolean(),
  held: fc.boolean(),
  outcome: fc.constantFrom('completed', 'waiting', 'cancelled', 'incomplete', 'incomplete-then-redriven'),
});

let positions = 0;
let orders = 0;

/** The order's events in log order (positions rising, as the log gives them), with what the view must end with. */
function history(story: Story) {
  const orderId = `any-order-${++orders}`;
  const events: StoredEvent[] = [];
  const versions = new Map<string, number>();
  const add = (streamType: string, type: string, data: Record<string, unknown>) => {
    const streamId = `${streamType}-${orderId}`;
    const version = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, version);
    const position = ++positions;
    events.push({
      streamId,
      streamType,
      version,
      position,
      type,
      data: { orderId, ...data },
      metadata: {
        eventId: `e-${position}`,
        timestamp: new Date(Date.UTC(2026, 2, 1, 10, 0, 0, position)),
        correlationId: `corr-${orderId}`,
        causationId: null,
      },
    });
  };
  let address = addressOf(0);
  let failureReason: string | null = null;
  let openCompensations: string[] | undefined;
  add('order', 'OrderCreated', {
    customerId: 'sealed:c',
    customer: 'p-1',
    accountId: 'acc-1',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1500 }],
    total: 3000,
    shippingAddress: address,
    requiresApproval: story.requiresApproval,
  });
  if (story.requiresApproval) add('order', 'OrderApproved', {});
  for (let i = 1; i <= story.changes; i++)
    add('order', 'ShippingAddressChanged', { address: (address = addressOf(i)) });
  add('payment', 'PaymentCompleted', { accountId: 'acc-1', amount: 3000 });
  add('reservation', 'ItemsReserved', { items: [{ sku: 'BOOK-1', quantity: 2 }] });
  if (story.corrected) {
    add('order', 'OrderNeedsAttention', { step: 'scheduleShipment', reason: 'sealed:no such postal code' });
    add('order', 'ShippingAddressChanged', { address: (address = addressOf(9)) });
  }
  const held = story.held || story.outcome === 'waiting';
  const booked = held || story.outcome === 'completed';
  if (booked) add('shipment', 'ShipmentScheduled', { trackingId: 't-1', address });
  if (held) add('order', 'OrderNeedsAttention', { step: 'completeOrder', reason: 'sealed:saga terminated' });
  let status: string;
  if (story.outcome === 'completed') {
    add('order', 'OrderCompleted', {});
    status = 'COMPLETED';
  } else if (story.outcome === 'waiting') {
    status = 'NEEDS_ATTENTION';
  } else {
    add('order', 'OrderCompensating', { reason: (failureReason = 'out of stock') });
    if (booked) add('shipment', 'ShipmentCancelled', {});
    add('payment', 'PaymentRefunded', { accountId: 'acc-1', amount: 3000 });
    const incomplete = story.outcome !== 'cancelled';
    if (incomplete) openCompensations = ['releaseItems'];
    add('order', 'OrderCancelled', {
      customerId: 'sealed:c',
      total: 3000,
      reason: (failureReason = 'sealed:out of stock, compensations open'),
      ...(incomplete && { openCompensations }),
    });
    status = incomplete ? 'COMPENSATION_INCOMPLETE' : 'CANCELLED';
    if (story.outcome === 'incomplete-then-redriven') {
      add('order', 'OrderCompensationCompleted', {});
      openCompensations = [];
      status = 'CANCELLED';
    }
  }
  return { orderId, events, expected: { shippingAddress: address, failureReason, openCompensations, status } };
}

/** The events as a projector may apply them: any order, each at least once, some again, in batches. */
const deliveryArb = (count: number) =>
  fc.record({
    order: fc.shuffledSubarray(
      Array.from({ length: count }, (_, i) => i),
      { minLength: count, maxLength: count },
    ),
    repeats: fc.array(fc.record({ event: fc.nat(count - 1), at: fc.nat() }), { maxLength: 4 }),
    batches: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 20 }),
    oneByOne: fc.boolean(),
  });

describe('the orders view, whatever order the events of an order are applied in', () => {
  const mongo = useMonitoredMongo();
  let db: Db;
  beforeAll(() => {
    db = mongo.client.db(`order_view_any_order_${Date.now().toString(36)}`);
  });
  afterAll(async () => {
    await db?.dropDatabase().catch(() => {});
  });

  /** A projector's context on its own collection; each instance of the orders projection keeps its memory per context. */
  const contextOn = (name: string): ProjectionContext => ({
    epoch: 1,
    collection: () => db.collection(name) as never,
  });

  async function applyInLogOrder(events: StoredEvent[]): Promise<void> {
    const ctx = contextOn('in_log_order');
    for (const event of events) await ordersProjection.apply(event, ctx);
  }

  it(
    'holds the same document as applying them in log order, with the status, address and failure of the latest events in the log',
    { timeout: 300_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(
          storyArb.chain((story) => {
            const h = history(story);
            return fc.tuple(fc.constant(h), deliveryArb(h.events.length));
          }),
          async ([{ orderId, events, expected }, delivery]) => {
            await applyInLogOrder(events);
            const reference = await db.collection<OrderViewDocument>('in_log_order').findOne({ _id: orderId });
            expect(reference).toMatchObject({
              status: expected.status,
              shippingAddress: expected.shippingAddress,
              failureReason: expected.failureReason,
            });
            expect(reference?.openCompensations).toEqual(expected.openCompensations);

            const sequence = delivery.order.map((i) => events[i]!);
            for (const { event, at } of delivery.repeats)
              sequence.splice(at % (sequence.length + 1), 0, events[event]!);
            const ctx = contextOn('any_order');
            if (delivery.oneByOne) for (const event of sequence) await ordersProjection.apply(event, ctx);
            else {
              let from = 0;
              for (let b = 0; from < sequence.length; b++) {
                const size = delivery.batches[b % delivery.batches.length]!;
                await ordersProjection.applyMany!(sequence.slice(from, from + size), ctx);
                from += size;
              }
            }
            const seen = await db.collection<OrderViewDocument>('any_order').findOne({ _id: orderId });
            expect(seen, `applied as ${sequence.map((e) => `${e.type}@${e.position}`).join(', ')}`).toEqual(reference);
          },
        ),
        { numRuns: 150 },
      );
    },
  );
});
