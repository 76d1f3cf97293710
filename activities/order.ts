import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { deterministicEventId } from '../eventstore/metadata';
import {
  decide,
  MOVES_FROM,
  OrderDomainError,
  statusAfter,
  type CompensationStep,
  type OrderCommand,
  type OrderEvent,
  type OrderFacts,
  type OrderSagaInput,
  type OrderState,
  type OrderStatus,
  type PricedItem,
  type ShippingAddress,
} from '../domain/orders';
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

export const orderCollection = (db: Db) => db.collection<OrderDocument>('orders');

/** The order's document as the decider sees it (a partial read gives a partial state). */
function stateOf(doc: Partial<OrderDocument> | null): OrderState {
  if (!doc?.status) return { status: null };
  const { status, openCompensations, compensationCompletedLate, customerId, customer, accountId, items, total, shippingAddress, requiresApproval } = doc;
  const order = customerId !== undefined && accountId !== undefined && items && total !== undefined && shippingAddress ? { customerId, ...(customer !== undefined && { customer }), accountId, items, total, shippingAddress, requiresApproval: requiresApproval === true } : undefined;
  return { status, ...(order && { order }), ...(openCompensations && { openCompensations }), ...(compensationCompletedLate !== undefined && { compensationCompletedLate }) };
}

/** The order's rules (domain/orders/decider.ts); a rule that refuses is a business failure, never retried. */
function rules(command: OrderCommand, state: OrderState): OrderEvent[] {
  try {
    return decide(command, state);
  } catch (err) {
    if (err instanceof OrderDomainError) throw businessFailure(err.code, err.message);
    throw err;
  }
}

export function createOrderActivities({ db, events }: ServiceDeps) {
  const orders = orderCollection(db);
  const catalog = createInventoryCatalog({ db, events });

  /** Appends what the decider decided, one at a time, each under an id derived from its type (or `idPart`). */
  async function append(ctx: OrderContext, decided: OrderEvent[], idPart?: string) {
    for (const event of decided) {
      await appendSagaEvent(events, { type: 'order', id: ctx.orderId }, { ...event, eventId: deterministicEventId('order', ctx.orderId, idPart ?? event.type) }, ctx.correlationId);
    }
  }

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
      const [created] = rules({ type: 'EnsureRecorded', orderId: ctx.orderId, facts, prices }, { status: null });
      if (created?.type !== 'OrderCreated') throw new Error(`order ${ctx.orderId}: no OrderCreated decided for an order to record`);
      const now = new Date();
      order = await orders.findOneAndUpdate(
        { _id: ctx.orderId },
        {
          $setOnInsert: {
            ...facts,
            items: created.data.items,
            total: created.data.total,
            requiresApproval: created.data.requiresApproval,
            // Recorded and marked compensating in one write: the saga is undoing it.
            status: statusAfter('OrderCompensating'),
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
    if (order) await append(ctx, rules({ type: 'EnsureRecorded', orderId: ctx.orderId }, stateOf(order)));
    return order;
  }

  return {
    /**
     * Records the order with prices from the catalog (never from the client). Idempotent: the
     * first attempt fixes the prices; a retry finds the document and re-appends the same event id.
     * A late attempt that finds the order already undone does nothing (OrderClosed).
     */
    async createOrder(input: OrderSagaInput): Promise<{ items: PricedItem[]; total: number; requiresApproval: boolean }> {
      // The catalog is read alongside, not after: a first attempt (the usual case) needs both.
      const [found, catalogPrices] = await Promise.all([orders.findOne({ _id: input.orderId }), catalog.prices(input.items.map((i) => i.sku))]);
      const command: OrderCommand = {
        type: 'CreateOrder',
        orderId: input.orderId,
        customerId: input.customerId,
        ...(input.customer !== undefined && { customer: input.customer }),
        accountId: input.accountId,
        items: input.items,
        shippingAddress: input.shippingAddress,
        prices: catalogPrices.prices,
        approvalThreshold: input.settings.approvalThreshold,
      };
      let order = found;
      if (!order) {
        const [created] = rules(command, { status: null });
        if (created?.type !== 'OrderCreated') throw new Error(`order ${input.orderId}: no OrderCreated decided for a new order`);
        const { items, total, requiresApproval } = created.data;
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
              requiresApproval,
              status: statusAfter('OrderCreated', { requiresApproval }),
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
      // The first attempt's document decides: a retry repeats its event, a late one finds the order undone.
      const decided = rules(command, stateOf(order));
      const { items, total, requiresApproval } = order!;
      await append(input, decided);
      return { items, total, requiresApproval };
    },

    async recordApproval(ctx: OrderContext): Promise<void> {
      await orders.updateOne({ _id: ctx.orderId, status: { $in: MOVES_FROM.ApproveOrder } }, { $set: { status: statusAfter('OrderApproved'), updatedAt: new Date() } });
      await append(ctx, decide({ type: 'ApproveOrder', orderId: ctx.orderId }));
    },

    /** An operator's rejection, recorded like an approval: who rejected the order and why. */
    async recordRejection(ctx: OrderContext & { by?: string; reason?: string }): Promise<void> {
      await append(ctx, decide({ type: 'RejectOrder', orderId: ctx.orderId, by: ctx.by ?? null, reason: ctx.reason ?? null }));
    },

    async changeShippingAddress(ctx: OrderContext & { address: ShippingAddress }): Promise<void> {
      await orders.updateOne({ _id: ctx.orderId }, { $set: { shippingAddress: ctx.address, updatedAt: new Date() } });
      // Each change is its own event; the activity id (stable across retries) tells changes apart.
      await append(ctx, decide({ type: 'ChangeShippingAddress', orderId: ctx.orderId, address: ctx.address }), `address:${Context.current().info.activityId}`);
    },

    /** The order is being undone. Refused (OrderClosed) for an order that completed. */
    async markCompensating(ctx: OrderContext & { reason: string; order?: OrderFacts }): Promise<void> {
      await ensureRecorded(ctx, ctx.order);
      const command: OrderCommand = { type: 'MarkCompensating', orderId: ctx.orderId, reason: ctx.reason };
      const compensating = statusAfter('OrderCompensating');
      const marked = await orders.updateOne({ _id: ctx.orderId, status: { $in: MOVES_FROM.MarkCompensating } }, { $set: { status: compensating, failureReason: ctx.reason, updatedAt: new Date() } });
      // Matched: the order is compensating now. Otherwise its status says why not (completed, or a late repeat).
      const state = marked.matchedCount > 0 ? { status: compensating } : stateOf(await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1 } }));
      await append(ctx, rules(command, state));
    },

    /**
     * The point of no return. Conditional on the order not being undone, so a late attempt (one
     * that timed out but still runs) can never write OrderCompleted after OrderCancelled.
     */
    async completeOrder(ctx: OrderContext): Promise<void> {
      const command: OrderCommand = { type: 'CompleteOrder', orderId: ctx.orderId };
      const order = await orders.findOneAndUpdate({ _id: ctx.orderId, status: { $in: MOVES_FROM.CompleteOrder } }, { $set: { status: statusAfter('OrderCompleted'), updatedAt: new Date() } }, { returnDocument: 'after' });
      // Not matched: the order is undone (or missing), and the decider refuses with its status.
      const state = order ? stateOf(order) : stateOf(await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1 } }));
      await append(ctx, rules(command, state));
    },

    /**
     * Compensation, and the end of every unsuccessful saga: CANCELLED, or COMPENSATION_INCOMPLETE
     * while some compensation is an open dead letter. Refused (OrderClosed) for a completed order.
     */
    async cancelOrder(ctx: OrderContext & { reason: string; order?: OrderFacts; openCompensations?: CompensationStep[] }): Promise<void> {
      await ensureRecorded(ctx, ctx.order);
      const open = ctx.openCompensations ?? [];
      const command: OrderCommand = { type: 'CancelOrder', orderId: ctx.orderId, reason: ctx.reason, openCompensations: open };
      const status: OrderStatus = statusAfter('OrderCancelled', { openCompensations: open.length > 0 });
      const order = await orders.findOneAndUpdate(
        { _id: ctx.orderId, status: { $in: MOVES_FROM.CancelOrder } },
        { $set: { status, failureReason: ctx.reason, openCompensations: open, updatedAt: new Date() } },
        { returnDocument: 'after' },
      );
      // Not matched: completed (refused), or never recorded (a saga of the first version: cancelled without its facts).
      const state = order ? stateOf(order) : { status: (await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1 } }))?.status ?? null };
      await append(ctx, rules(command, state));
    },

    /**
     * A compensation that was a dead letter has been redriven: once none is left open, the order
     * is CANCELLED after all (OrderCompensationCompleted). Safe to repeat.
     */
    async compensationRedriven(ctx: OrderContext & { step: CompensationStep }): Promise<void> {
      const incomplete = { $in: MOVES_FROM.RecordCompensationRedriven };
      await orders.updateOne({ _id: ctx.orderId, status: incomplete }, { $pull: { openCompensations: ctx.step }, $set: { updatedAt: new Date() } });
      await orders.updateOne(
        { _id: ctx.orderId, status: incomplete, openCompensations: { $size: 0 } },
        { $set: { status: statusAfter('OrderCompensationCompleted'), compensationCompletedLate: true, updatedAt: new Date() } },
      );
      const order = await orders.findOne({ _id: ctx.orderId }, { projection: { status: 1, compensationCompletedLate: 1, openCompensations: 1 } });
      await append(ctx, rules({ type: 'RecordCompensationRedriven', orderId: ctx.orderId, step: ctx.step }, stateOf(order)));
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
