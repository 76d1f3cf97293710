import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import type { OrderSagaInput } from '../workflows/types';

export interface OrderDocument {
  _id: string;
  customerId: string;
  accountId: string;
  items: OrderSagaInput['items'];
  shippingAddress: OrderSagaInput['shippingAddress'];
  status: string;
  correlationId: string;
  workflowId: string;
  createdAt: Date;
  updatedAt: Date;
}

export function createOrderActivities({ db }: { db: Db }) {
  const orders = db.collection<OrderDocument>('orders');
  return {
    /**
     * Records the order. Idempotent: keyed by order id and written with $setOnInsert, so a retry
     * after a crash between the write and the activity's completion changes nothing.
     */
    async createOrder(input: OrderSagaInput): Promise<void> {
      const now = new Date();
      await orders.updateOne(
        { _id: input.orderId },
        {
          $setOnInsert: {
            customerId: input.customerId,
            accountId: input.accountId,
            items: input.items,
            shippingAddress: input.shippingAddress,
            status: 'PENDING',
            correlationId: input.correlationId,
            workflowId: Context.current().info.workflowExecution?.workflowId ?? 'unknown',
            createdAt: now,
            updatedAt: now,
          },
        },
        { upsert: true },
      );
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
