import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import {
  decide,
  evolve,
  OrderDomainError,
  type CompensationStep,
  type OrderCommand,
  type OrderEvent,
  type OrderFacts,
  type OrderSagaInput,
  type OrderState,
  type PricedItem,
  type ShippingAddress,
} from '../domain/orders';
import { deadLetterCollection } from '../infra/dead-letters';
import { createInventoryCatalog } from './inventory';
import { createOrderStream, type Decided, type Decision, type OrderStreamStore } from './order-stream';
import { businessFailure, type OrderContext } from './support';

/** The order's rules (domain/orders/decider.ts); a rule that refuses is a business failure, never retried. */
function rules(command: OrderCommand, state: OrderState): OrderEvent[] {
  try {
    return decide(command, state);
  } catch (err) {
    if (err instanceof OrderDomainError) throw businessFailure(err.code, err.message);
    throw err;
  }
}

/**
 * The Order service. An order's stream (order-<id>) is its state: every step is one append,
 * conditional on the version of the fold it decided on (./order-stream.ts).
 */
export function createOrderActivities({ db, events }: { db: Db; events: OrderStreamStore }) {
  const stream = createOrderStream({ db, events });
  const catalog = createInventoryCatalog({ db, events });
  const deadLetters = deadLetterCollection(db);

  /**
   * An undoing step's decision, on an order that exists: a saga cancelled before createOrder ran (or
   * whose createOrder failed) records the order first, in the same append, so it is still readable
   * and begins with OrderCreated. Prices come from the catalog as createOrder would take them (0 for
   * a SKU it does not know, since nothing was charged for it). Without `facts` (sagas of the first
   * version) a missing order stays missing. Its OrderCreated has an id of its own: if a late
   * createOrder races it, one of the two appends loses on the version and decides again.
   */
  const onRecorded =
    (ctx: OrderContext, facts: OrderFacts | undefined, command: OrderCommand): Decision =>
    async (state) => {
      let recorded: Decided = [];
      if (state.status === null && facts) {
        const { prices } = await catalog.prices(facts.items.map((i) => i.sku));
        recorded = rules({ type: 'EnsureRecorded', orderId: ctx.orderId, facts, prices }, state).map((e) => ({
          ...e,
          idPart: 'recorded:OrderCreated',
        }));
      }
      return [...recorded, ...rules(command, recorded.reduce<OrderState>(evolve, state))];
    };

  /** The prices of the order's SKUs as placed; the catalog's when the input does not carry them all. */
  async function placementPrices({ items, prices }: OrderSagaInput): Promise<Map<string, number>> {
    if (prices && items.every((i) => Object.hasOwn(prices, i.sku)))
      return new Map(items.map((i) => [i.sku, prices[i.sku]!]));
    return (await catalog.prices(items.map((i) => i.sku))).prices;
  }

  return {
    /**
     * Records the order with prices from the catalog (never from the client): those the API read
     * as it placed the order, carried in the saga's input, or read here for an input without them
     * (a saga started before they were, or from the command line). Idempotent: the first attempt's
     * event fixes the prices; a retry finds it and answers with them. A late attempt that finds the
     * order already undone does nothing (OrderClosed).
     */
    async createOrder(
      input: OrderSagaInput,
    ): Promise<{ items: PricedItem[]; total: number; requiresApproval: boolean }> {
      const decision: Decision = async (state) => {
        // Prices matter only for an order not recorded yet: a retry repeats the first attempt's event.
        const prices = state.status === null ? await placementPrices(input) : new Map<string, number>();
        return rules(
          {
            type: 'CreateOrder',
            orderId: input.orderId,
            customerId: input.customerId,
            ...(input.customer !== undefined && { customer: input.customer }),
            accountId: input.accountId,
            items: input.items,
            shippingAddress: input.shippingAddress,
            prices,
            approvalThreshold: input.settings.approvalThreshold,
          },
          state,
        );
      };
      // A first attempt (the usual case) reads nothing before its append: the order is new.
      const { state } = await stream.record(input, decision, { assumeNew: true });
      if (state.status === null || !state.order)
        throw new Error(`order ${input.orderId}: recorded without its OrderCreated`);
      const { items, total, requiresApproval } = state.order;
      return { items, total, requiresApproval };
    },

    async recordApproval(ctx: OrderContext): Promise<void> {
      await stream.record(ctx, () => decide({ type: 'ApproveOrder', orderId: ctx.orderId }));
    },

    /** An operator's rejection, recorded like an approval: who rejected the order and why. */
    async recordRejection(ctx: OrderContext & { by?: string; reason?: string }): Promise<void> {
      await stream.record(ctx, () =>
        decide({ type: 'RejectOrder', orderId: ctx.orderId, by: ctx.by ?? null, reason: ctx.reason ?? null }),
      );
    },

    async changeShippingAddress(ctx: OrderContext & { address: ShippingAddress }): Promise<void> {
      // Each change is its own event; the activity id (stable across retries) tells changes apart.
      const idPart = `address:${Context.current().info.activityId}`;
      await stream.record(ctx, () =>
        decide({ type: 'ChangeShippingAddress', orderId: ctx.orderId, address: ctx.address }).map((e) => ({
          ...e,
          idPart,
        })),
      );
    },

    /**
     * A repairable step failed and the saga waits for an operator (NEEDS_ATTENTION). Each wait is
     * its own event (the activity id, stable across retries, tells them apart); an order already
     * being undone or ended records nothing.
     */
    async markNeedsAttention(ctx: OrderContext & { step: string; reason: string }): Promise<void> {
      const idPart = `attention:${Context.current().info.activityId}`;
      await stream.record(ctx, (state) =>
        rules({ type: 'MarkNeedsAttention', orderId: ctx.orderId, step: ctx.step, reason: ctx.reason }, state).map(
          (e) => ({ ...e, idPart }),
        ),
      );
    },

    /** The order is being undone. Refused (OrderClosed) for an order that completed. */
    async markCompensating(ctx: OrderContext & { reason: string; order?: OrderFacts }): Promise<void> {
      await stream.record(
        ctx,
        onRecorded(ctx, ctx.order, { type: 'MarkCompensating', orderId: ctx.orderId, reason: ctx.reason }),
      );
    },

    /**
     * The point of no return. Conditional on the order's version, so a late attempt (one that timed
     * out but still runs) that lost the race to a compensation decides again on the undone order
     * and is refused: OrderCompleted is never written after OrderCancelled.
     */
    async completeOrder(ctx: OrderContext): Promise<void> {
      await stream.record(ctx, (state) => rules({ type: 'CompleteOrder', orderId: ctx.orderId }, state));
    },

    /**
     * Compensation, and the end of every unsuccessful saga: CANCELLED, or COMPENSATION_INCOMPLETE
     * while some compensation is an open dead letter. Refused (OrderClosed) for a completed order.
     */
    async cancelOrder(
      ctx: OrderContext & { reason: string; order?: OrderFacts; openCompensations?: CompensationStep[] },
    ): Promise<void> {
      const command: OrderCommand = {
        type: 'CancelOrder',
        orderId: ctx.orderId,
        reason: ctx.reason,
        openCompensations: ctx.openCompensations ?? [],
      };
      await stream.record(ctx, onRecorded(ctx, ctx.order, command));
    },

    /**
     * A compensation that was a dead letter has been redriven: once none is left open, the order
     * is CANCELLED after all (OrderCompensationCompleted). Safe to repeat. Which of the order's
     * parked compensations are still open is the dead letters' to say (the redrive marks its own
     * redriven before it calls this).
     */
    async compensationRedriven(ctx: OrderContext & { step: CompensationStep }): Promise<void> {
      await stream.record(ctx, async (state) => {
        const letters = await deadLetters
          .find(
            { orderId: ctx.orderId, source: 'saga', kind: 'compensation', status: { $ne: 'redriven' } },
            { projection: { step: 1 } },
          )
          .toArray();
        return rules(
          {
            type: 'RecordCompensationRedriven',
            orderId: ctx.orderId,
            step: ctx.step,
            parked: letters.map((l) => l.step),
          },
          state,
        );
      });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
