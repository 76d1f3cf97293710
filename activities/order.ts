import type { OrderEvent } from '../domain/orders';
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { deterministicEventId } from '../eventstore/metadata';
import type { CompensationStep, OrderFacts, OrderSagaInput, OrderStatus, PricedItem, ShippingAddress } from '../domain/orders';
import { createInventoryCatalog } from './inventory';
import { appendSagaEvent, businessFailure, type OrderContext, type ServiceDeps } from './support';

/** The Order service's own state: one document per order. */
export interface OrderDocument {
  _id: string;
  /** Sealed with the customer's key; `customer` is the pseudonym (domain/orders/saga.ts). */
  customerId: string;
  customer?: string;
  accountId: string;
  items: PricedItem[];
  total: number;
  shippingAddress: ShippingAddress;
  status: OrderStatus;
  requiresApproval: boolean;
  failureReason: string | null;
  correlationId: string;
  workflowId: string;
  /** Compensations that are open dead letters (status COMPENSATION_INCOMPLETE until they are redriven). */
  openCompensations?: CompensationStep[];
  /** Set when the last open compensation was redriven after the saga had ended. */
  compensationCompletedLate?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Statuses of an order that is being, or has been, undone: it can never complete any more. */
const UNDONE: OrderStatus[] = ['COMPENSATING', 'CANCELLED', 'COMPENSATION_INCOMPLETE'];
const ENDED: OrderStatus[] = ['COMPLETED', 'CANCELLED', 'COMPENSATION_INCOMPLETE'];

export const orderCollection = (db: Db) => db.collection<OrderDocument>('orders');

export function createOrderActivities({ db, events }: ServiceDeps) {
  const orders = orderCollection(db);
  const catalog = createInventoryCatalog({ db, events });

  async function appendOrderEvent<T extends OrderEvent['type']>(ctx: OrderContext, type: T, data: Omit<Extract<OrderEvent, { type: T }>['data'], 'orderId'>, idPart: string = type) {
    const event = { type, data: { orderId: ctx.orderId, ...data }, eventId: deterministicEventId('order', ctx.orderId, idPart) } as OrderEvent & { eventId: string };
    await appendSagaEvent(events, { type: 'order', id: ctx.orderId }, event, ctx.correlationId);
  }

  const createdEvent = (ctx: OrderContext, order: OrderDocument) =>
    appendOrderEvent(ctx, 'OrderCreated', {
      customerId: order.customerId,
      ...(order.customer !== undefined && { customer: order.customer }),
      accountId: order.accountId,
      items: order.items,
      total: order.total,
      shippingAddress: order.shippingAddress,
      requiresApproval: order.requiresApproval,
    });

  /**
   * Makes sure the order exists, with its OrderCreated first in its stream, before it is marked
   * compensating or cancelled: a saga cancelled before createOrder ran (or whose createOrder failed)
   * still leaves a readable order. Prices come from the catalog as createOrder would take them
   * (0 for a SKU it does not know, since nothing was charged for it). Without `facts` (sagas of
   * the first version) a missing order stays missing.
   */
  async function ensureRecorded(ctx: OrderContext, facts: OrderFacts | undefined): Promise<OrderDocument | null> {
    let order = await orders.findOne({ _id: ctx.orderId });
    if (!order && facts) {
      const { prices } = await catalog.prices(facts.items.map((i) => i.sku));
      const items = facts.items.map((i) => ({ ...i, unitPrice: prices.get(i.sku) ?? 0 }));
      const now = new Date();
      order = await orders.findOneAndUpdate(
        { _id: ctx.orderId },
        {
          $setOnInsert: {
            ...facts,
            items,
            total: items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0),
            requiresApproval: false,
            status: 'COMPENSATING',
            failureReason: null,
            correlationId: ctx.correlationId,
            workflowId: `order-${ctx.orderId}`,
            createdAt: now,
            updatedAt: now,
          },
        },
        { upsert: true, returnDocument: 'after' },
      );
    }
    // A createOrder attempt may have written the document and died before its event: add it now.
    if (order) await createdEvent(ctx, order);
    return order;
  }

  const closed = (orderId: string, status: OrderStatus | undefined, wanted: string) =>
    businessFailure('OrderClosed', `order ${orderId} cannot be ${wanted}: it is ${status ?? 'not recorded'}`);

  return {
    /**
     * Records the order with prices from the catalog (never from the client). Idempotent: the
     * first attempt fixes the prices; a retry finds the document and re-appends the same event id.
     * A late attempt that finds the order already undone does nothing (OrderClosed).
     */
    async createOrder(input: OrderSagaInput): Promise<{ items: PricedItem[]; total: number; requiresApproval: boolean }> {
      // The catalog is read alongside, not after: a first attempt (the usual case) needs both.
      const [found, catalogPrices] = await Promise.all([orders.findOne({ _id: input.orderId }), catalog.prices(input.items.map((i) => i.sku))]);
      let order = found;
      if (!order) {
        const { prices, unknown } = catalogPrices;
        if (unknown.length > 0) throw businessFailure('UnknownSku', `unknown SKU ${unknown.join(', ')}`);
        const items = input.items.map((i) => ({ ...i, unitPrice: prices.get(i.sku)! }));
        const total = items.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0);
        const now = new Date();
        order = await orders.findOneAndUpdate(
          { _id: input.orderId },
          {
            $setOnInsert: {
              customerId: input.customerId,
              ...(input.customer !== undefined && { customer: input.customer }),
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
      if (UNDONE.includes(order!.status)) throw closed(input.orderId, order!.status, 'created');
      const { items, total, requiresApproval } = order!;
      await createdEvent(input, order!);
      return { items, total, requiresApproval };
    },

    async recordApproval(ctx: OrderContext): Promise<void> {
      await orders.updateOne({ _id: ctx.orderId, status: 'AWAITING_APPROVAL' }, { $set: { status: 'PENDING', updatedAt: new Date() } });
      await appendOrderEvent(ctx, 'OrderApproved', {});
    },

    /** An operator's rejection, recorded like an approval: who rejected the order and why. */
    async recordRejection(ctx: OrderContext & { by?: string; reason?: string }): Promise<void> {
      await appendOrderEvent(ctx, 'OrderRejected', { by: ctx.by ?? null, reason: ctx.reason ?? null });
    },

    async changeShippingAddress(ctx: OrderContext & { address: ShippingAddress }): Promise<void> {
      await orders.updateOne({ _id: ctx.orderId }, { $set: { shippingAddress: ctx.address, updatedAt: new Date() } });
      // Each change is its own event; the activity id (stable across retries) tells changes apart.
      await appendOrderEvent(ctx, 'ShippingAddressChanged', { address: ctx.address }, `address:${Context.current().info.activityId}`);
    },

    /** The order is being undone. Refused (OrderClosed) for an order that completed. */
    async markCompensating(ctx: OrderContext & { reason: string; order?: OrderFacts }): Promise<void> {
      await ensureRecorded(ctx, ctx.order);
      const marked = await orders.updateOne({ _id: ctx.orderId, status: { $nin: ENDED } }, { $set: { status: 'COMPENSATING', failureReason: ctx.reason, updatedAt: new Date() } });
      if (marked.matchedCount === 0) {
        const now = await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1 } });
        if (now?.status === 'COMPLETED') throw closed(ctx.orderId, now.status, 'compensated');
        if (now) return; // already cancelled: this is a late repeat
      }
      await appendOrderEvent(ctx, 'OrderCompensating', { reason: ctx.reason });
    },

    /**
     * The point of no return. Conditional on the order not being undone, so a late attempt (one
     * that timed out but still runs) can never write OrderCompleted after OrderCancelled.
     */
    async completeOrder(ctx: OrderContext): Promise<void> {
      const order = await orders.findOneAndUpdate({ _id: ctx.orderId, status: { $nin: UNDONE } }, { $set: { status: 'COMPLETED', updatedAt: new Date() } }, { returnDocument: 'after' });
      if (!order) {
        const now = await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1 } });
        throw closed(ctx.orderId, now?.status, 'completed');
      }
      await appendOrderEvent(ctx, 'OrderCompleted', { customerId: order.customerId, total: order.total, items: order.items });
    },

    /**
     * Compensation, and the end of every unsuccessful saga: CANCELLED, or COMPENSATION_INCOMPLETE
     * while some compensation is an open dead letter. Refused (OrderClosed) for a completed order.
     */
    async cancelOrder(ctx: OrderContext & { reason: string; order?: OrderFacts; openCompensations?: CompensationStep[] }): Promise<void> {
      await ensureRecorded(ctx, ctx.order);
      const open = ctx.openCompensations ?? [];
      const status: OrderStatus = open.length > 0 ? 'COMPENSATION_INCOMPLETE' : 'CANCELLED';
      const order = await orders.findOneAndUpdate(
        { _id: ctx.orderId, status: { $ne: 'COMPLETED' } },
        { $set: { status, failureReason: ctx.reason, openCompensations: open, updatedAt: new Date() } },
        { returnDocument: 'after' },
      );
      if (!order && (await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1 } }))?.status === 'COMPLETED') {
        throw closed(ctx.orderId, 'COMPLETED', 'cancelled');
      }
      await appendOrderEvent(ctx, 'OrderCancelled', {
        customerId: order?.customerId ?? null,
        total: order?.total ?? null,
        reason: ctx.reason,
        ...(open.length > 0 ? { openCompensations: open } : {}),
      });
    },

    /**
     * A compensation that was a dead letter has been redriven: once none is left open, the order
     * is CANCELLED after all (OrderCompensationCompleted). Safe to repeat.
     */
    async compensationRedriven(ctx: OrderContext & { step: CompensationStep }): Promise<void> {
      await orders.updateOne({ _id: ctx.orderId, status: 'COMPENSATION_INCOMPLETE' }, { $pull: { openCompensations: ctx.step }, $set: { updatedAt: new Date() } });
      await orders.updateOne(
        { _id: ctx.orderId, status: 'COMPENSATION_INCOMPLETE', openCompensations: { $size: 0 } },
        { $set: { status: 'CANCELLED', compensationCompletedLate: true, updatedAt: new Date() } },
      );
      const order = await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1, compensationCompletedLate: 1 } });
      if (order?.status === 'CANCELLED' && order.compensationCompletedLate) await appendOrderEvent(ctx, 'OrderCompensationCompleted', {});
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
