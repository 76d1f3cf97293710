import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import { ordersProjection } from '../../../readside/projections/orders';
import type { ProjectionContext } from '../../../readside/projections/types';

const at = new Date('2026-03-01T10:00:00.000Z');
const address = { line1: 'sealed:line1', city: 'sealed:city', postalCode: 'sealed:code', country: 'US' };
const event = (orderId: string, type: string, position: number): StoredEvent => ({
  streamId: `order-${orderId}`,
  streamType: 'order',
  version: 1,
  position,
  type,
  data:
    type === 'OrderCreated'
      ? {
          orderId,
          customerId: 'sealed:c',
          customer: 'p',
          accountId: 'acc-1',
          items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 100 }],
          total: 100,
          shippingAddress: address,
        }
      : { orderId },
  metadata: { eventId: `e-${orderId}-${position}`, timestamp: at, correlationId: 'corr-1', causationId: null },
});

type Op = { updateOne: { filter: { _id: string }; update: Record<string, Record<string, unknown>>; upsert: boolean } };

/**
 * A context whose one collection records the commands it is sent. Its documents exist when
 * `existing` holds them (an upsert then creates nothing); `bulkFails` makes bulk writes fail so.
 */
function recordingContext(existing: Record<string, unknown>[] = [], bulkFails?: { code: number }) {
  const commands: Array<{ kind: 'find' | 'bulkWrite' | 'updateOne'; ops?: Op[] }> = [];
  const exists = (id: string) => existing.some((d) => d._id === id);
  const collection = {
    find: () => ({
      toArray: () => {
        commands.push({ kind: 'find' });
        return Promise.resolve(existing);
      },
    }),
    bulkWrite: (ops: Op[]) => {
      commands.push({ kind: 'bulkWrite', ops });
      if (bulkFails) return Promise.reject(Object.assign(new Error('bulk'), bulkFails));
      const upsertedIds = Object.fromEntries(
        ops.flatMap((op, i) =>
          op.updateOne.upsert && !exists(op.updateOne.filter._id) ? [[i, op.updateOne.filter._id]] : [],
        ),
      );
      return Promise.resolve({ upsertedIds });
    },
    updateOne: (filter: { _id: string }, update: Op['updateOne']['update'], options: { upsert: boolean }) => {
      commands.push({ kind: 'updateOne', ops: [{ updateOne: { filter, update, upsert: options.upsert } }] });
      if (bulkFails) return Promise.reject(Object.assign(new Error('E11000'), { code: 11000 }));
      return Promise.resolve({ upsertedCount: options.upsert && !exists(filter._id) ? 1 : 0 });
    },
  };
  const ctx = { epoch: 1, collection: () => collection } as unknown as ProjectionContext;
  return { ctx, commands };
}

describe("the orders view's commands per event", () => {
  it("a new order's first event is one command, its writes in one bulk write, the status set as the document is created", async () => {
    const { ctx, commands } = recordingContext();
    await ordersProjection.apply(event('o-1', 'OrderCreated', 7), ctx);
    expect(commands.map((c) => [c.kind, c.ops?.length])).toEqual([['bulkWrite', 3]]);
    const upsert = commands[0]!.ops!.find((op) => op.updateOne.upsert)!;
    expect(upsert.updateOne.update.$setOnInsert).toMatchObject({ status: 'PENDING' });
    expect(upsert.updateOne.update.$set).not.toHaveProperty('status');
    // Known from now on: the next event's write carries the status, and nothing is read.
    await ordersProjection.apply(event('o-1', 'PaymentCompleted', 8), ctx);
    expect(commands.map((c) => c.kind)).toEqual(['bulkWrite', 'updateOne']);
    expect(commands[1]!.ops![0]!.updateOne.update.$set).toMatchObject({ status: 'PAYMENT_COMPLETED' });
  });

  it('an order whose document already existed (a restart, a redrive) is read back and its status set from all its facts', async () => {
    const doc = {
      _id: 'o-2',
      facts: { created: true, paid: true, reserved: true },
      factAt: { created: 1, paid: 2, reserved: 3 },
      status: 'PAYMENT_COMPLETED',
    };
    const { ctx, commands } = recordingContext([doc]);
    await ordersProjection.apply(event('o-2', 'ItemsReserved', 3), ctx);
    expect(commands.map((c) => c.kind)).toEqual(['updateOne', 'find', 'bulkWrite']);
    expect(commands[2]!.ops![0]!.updateOne.update).toEqual({ $set: { status: 'ITEMS_RESERVED' } });
  });

  it("an event's writes are run one by one when their bulk write collided, each collision being the no-op it always was", async () => {
    const { ctx, commands } = recordingContext([], { code: 11000 });
    await ordersProjection.apply(event('o-3', 'OrderCreated', 9), ctx);
    // Nothing was created: the document is read back.
    expect(commands.map((c) => c.kind)).toEqual(['bulkWrite', 'updateOne', 'updateOne', 'updateOne', 'find']);
  });

  it("an event's writes fail as the store failed, without trying again one by one", async () => {
    const { ctx, commands } = recordingContext([], { code: 6 });
    await expect(ordersProjection.apply(event('o-4', 'OrderCreated', 10), ctx)).rejects.toThrow('bulk');
    expect(commands.map((c) => c.kind)).toEqual(['bulkWrite']);
  });
});
