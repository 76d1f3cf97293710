import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import { ordersProjection } from '../../../readside/projections/orders';
import type { ProjectionContext } from '../../../readside/projections/types';

const at = new Date('2026-03-01T10:00:00.000Z');
const address = { line1: 'sealed:line1', city: 'sealed:city', postalCode: 'sealed:code', country: 'US' };
const created = (orderId: string): StoredEvent => ({
  streamId: `order-${orderId}`,
  streamType: 'order',
  version: 1,
  position: 7,
  type: 'OrderCreated',
  data: {
    orderId,
    customerId: 'sealed:c',
    customer: 'p',
    accountId: 'acc-1',
    items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: 100 }],
    total: 100,
    shippingAddress: address,
  },
  metadata: { eventId: `e-${orderId}`, timestamp: at, correlationId: 'corr-1', causationId: null },
});

/** A context whose one collection records the commands it is sent; `bulkFails` makes bulk writes fail so. */
function recordingContext(bulkFails?: { code: number }) {
  const commands: Array<{ kind: 'find' | 'bulkWrite' | 'updateOne'; statements: number }> = [];
  const collection = {
    find: () => ({
      toArray: () => {
        commands.push({ kind: 'find', statements: 1 });
        return Promise.resolve([]);
      },
    }),
    bulkWrite: (ops: unknown[]) => {
      commands.push({ kind: 'bulkWrite', statements: ops.length });
      return bulkFails ? Promise.reject(Object.assign(new Error('bulk'), bulkFails)) : Promise.resolve({});
    },
    updateOne: () => {
      commands.push({ kind: 'updateOne', statements: 1 });
      return Promise.reject(Object.assign(new Error('E11000'), { code: 11000 }));
    },
  };
  const ctx = { epoch: 1, collection: () => collection } as unknown as ProjectionContext;
  return { ctx, commands };
}

describe("one event's read-model writes", () => {
  it('go out as one command, however many of them set its document', async () => {
    const { ctx, commands } = recordingContext();
    await ordersProjection.apply(created('o-1'), ctx);
    // The order's document (first met), then its fields, latest-in-log ones included, in one bulk write.
    expect(commands).toEqual([
      { kind: 'find', statements: 1 },
      { kind: 'bulkWrite', statements: 3 },
    ]);
  });

  it('are run one by one when the bulk write collided, each collision being the no-op it always was', async () => {
    const { ctx, commands } = recordingContext({ code: 11000 });
    await ordersProjection.apply(created('o-2'), ctx);
    expect(commands.map((c) => c.kind)).toEqual(['find', 'bulkWrite', 'updateOne', 'updateOne', 'updateOne']);
  });

  it('fail as the store failed, without trying again one by one', async () => {
    const { ctx, commands } = recordingContext({ code: 6 });
    await expect(ordersProjection.apply(created('o-3'), ctx)).rejects.toThrow('bulk');
    expect(commands.map((c) => c.kind)).toEqual(['find', 'bulkWrite']);
  });
});
