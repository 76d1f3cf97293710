import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { deterministicEventId } from '../eventstore/metadata';
import type { OrderSagaInput, OrderStatus, PricedItem, ShippingAddress } from '../workflows/types';
import { createInventoryCatalog } from './inventory';
import { businessFailure, type OrderContext, type ServiceDeps } from './support';

/** The Order service's own state: one document per order. */
export interface OrderDocument {
  _id: string;
  customerId: string;
  accountId: string;
  items: PricedItem[];
  total: number;
  shippingAddress: ShippingAddress;
  status: OrderStatus;
  requiresApproval: boolean;
  failureReason: string | null;
  correlationId: string;
  workflowId: string;
  createdAt: Date;
  updatedAt: Date;
}

export const orderCollection = (db: Db) => db.collection<OrderDocument>('orders');
const orderStream = (orderId: string) => `order-${orderId}`;

export function createOrderActivities({ db, events, faults }: ServiceDeps) {
  const orders = orderCollection(db);
  const catalog = createInventoryCatalog({ db, events });

  async function appendOrderEvent(ctx: OrderContext, type: string, data: Record<string, unknown>, idPart: string = type) {
    await events.append(
      orderStream(ctx.orderId),
      [{ type, eventId: deterministicEventId('order', ctx.orderId, idPart), data: { orderId: ctx.orderId, ...data } }],
      { streamType: 'order', metadata: { correlationId: ctx.correlationId } },
    );
  }

  return {
    /**
     * Records the order with prices from the catalog (never from the client). Idempotent: the
     * first attempt fixes the prices; a retry finds the document and re-appends the same event id.
     */
    async createOrder(input: OrderSagaInput): Promise<{ items: PricedItem[]; total: number; requiresApproval: boolean }> {
      await faults.failIfDown('order');
      let order = await orders.findOne({ _id: input.orderId });
      if (!order) {
        const { prices, unknown } = await catalog.prices(input.items.map((i) => i.sku));
        if (unknown.length > 0) throw businessFailure('UnknownSku', `unknown SKU ${unknown.join(', ')}`);
        const items = input.items.map((i) => ({ ...i, unitPrice: prices.get(i.sku)! }));
        const total = items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0);
        const now = new Date();
        order = await orders.findOneAndUpdate(
          { _id: input.orderId },
          {
            $setOnInsert: {
              customerId: input.customerId,
              accountId: input.accountId,
              items,
              total,
              shippingAddress: input.shippingAddress,
              requiresApproval: total > input.settings.approvalThreshold,
              status: total > input.settings.approvalThreshold ? 'AWAITING_APPROVAL' : 'PENDING',
              failureReason: null,
              correlationId: input.correlationId,
              workflowId: Context.current().info.workflowExecution?.workflowId ?? `order-${input.orderId}`,
              createdAt: now,
              updatedAt: now,
            },
          },
          { upsert: true, returnDocument: 'after' },
        );
      }
      const { items, total, requiresApproval } = order!;
      await appendOrderEvent(input, 'OrderCreated', {
        customerId: input.customerId,
        accountId: input.accountId,
        items,
        total,
        shippingAddress: order!.shippingAddress,
        requiresApproval,
      });
      await faults.hangIfAsked('order');
      return { items, total, requiresApproval };
    },

    async recordApproval(ctx: OrderContext): Promise<void> {
      await faults.failIfDown('order');
      await orders.updateOne({ _id: ctx.orderId, status: 'AWAITING_APPROVAL' }, { $set: { status: 'PENDING', updatedAt: new Date() } });
      await appendOrderEvent(ctx, 'OrderApproved', {});
    },

    /** An operator's rejection, recorded like an approval: who rejected the order and why. */
    async recordRejection(ctx: OrderContext & { by?: string; reason?: string }): Promise<void> {
      await faults.failIfDown('order');
      await appendOrderEvent(ctx, 'OrderRejected', { by: ctx.by ?? null, reason: ctx.reason ?? null });
    },

    async changeShippingAddress(ctx: OrderContext & { address: ShippingAddress }): Promise<void> {
      await faults.failIfDown('order');
      await orders.updateOne({ _id: ctx.orderId }, { $set: { shippingAddress: ctx.address, updatedAt: new Date() } });
      // Each change is its own event; the activity id (stable across retries) tells changes apart.
      await appendOrderEvent(ctx, 'ShippingAddressChanged', { address: ctx.address }, `address:${Context.current().info.activityId}`);
    },

    async markCompensating(ctx: OrderContext & { reason: string }): Promise<void> {
      await faults.failIfDown('order');
      await orders.updateOne({ _id: ctx.orderId }, { $set: { status: 'COMPENSATING', failureReason: ctx.reason, updatedAt: new Date() } });
      await appendOrderEvent(ctx, 'OrderCompensating', { reason: ctx.reason });
    },

    async completeOrder(ctx: OrderContext): Promise<void> {
      await faults.failIfDown('order');
      const order = await orders.findOneAndUpdate({ _id: ctx.orderId }, { $set: { status: 'COMPLETED', updatedAt: new Date() } }, { returnDocument: 'after' });
      await appendOrderEvent(ctx, 'OrderCompleted', { customerId: order?.customerId, total: order?.total, items: order?.items });
    },

    /** Compensation, and the end of every unsuccessful saga. */
    async cancelOrder(ctx: OrderContext & { reason: string }): Promise<void> {
      await faults.failIfDown('order');
      const order = await orders.findOneAndUpdate(
        { _id: ctx.orderId },
        { $set: { status: 'CANCELLED', failureReason: ctx.reason, updatedAt: new Date() } },
        { returnDocument: 'after' },
      );
      await appendOrderEvent(ctx, 'OrderCancelled', { customerId: order?.customerId ?? null, total: order?.total ?? null, reason: ctx.reason });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
