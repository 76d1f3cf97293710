import type { Db } from 'mongodb';
import { asSagaEvent } from '../domain/orders';
import type { EventStore } from '../eventstore';
import { legacyOrderDocuments } from './order-stream';

/** Who placed an order, as the order records it: the sealed customer id and the customer's pseudonym. */
export interface OrderCustomer {
  customerId: string;
  customer?: string;
}

/**
 * The customer of an order, from the first event of its stream (OrderCreated holds it, and nothing
 * changes it): strongly consistent, one read by (streamId, version). An order whose stream does not
 * begin with OrderCreated is one of the previous version that only its document records.
 */
export function createOrderCustomers(db: Db, store: Pick<EventStore, 'readStream'>) {
  return {
    async of(orderId: string): Promise<OrderCustomer | null> {
      const [first] = await store.readStream(`order-${orderId}`, { toVersion: 1 });
      const event = first && asSagaEvent(first);
      if (event?.type === 'OrderCreated')
        return {
          customerId: event.data.customerId,
          ...(event.data.customer !== undefined && { customer: event.data.customer }),
        };
      const doc = await legacyOrderDocuments(db).findOne(
        { _id: orderId },
        { projection: { customerId: 1, customer: 1 } },
      );
      return doc ? { customerId: doc.customerId, ...(doc.customer !== undefined && { customer: doc.customer }) } : null;
    },
  };
}

export type OrderCustomers = ReturnType<typeof createOrderCustomers>;
