import type { Db } from 'mongodb';
import type { OrderFacts, OrderStatus } from '../domain/orders';
import type { SettleOrderResult } from '../domain/orders/settlement';
import { settlementCollection } from '../infra/settlements';
import { createOrderStream, type OrderStreamStore } from './order-stream';
import { createSettlementDetection } from './settle-detection';

/** Where an order stands, for a settlement: its status and the facts its compensations need. */
export interface OrderStanding {
  /** null: no order is recorded. */
  status: OrderStatus | null;
  /** The order's facts as recorded (null when it is not recorded). */
  facts: OrderFacts | null;
}

/**
 * The activities of the settle workflow (workflows/settle-order.ts) beyond the saga's own
 * compensations: reading where the order stands, on its stream (the Order service's state, never
 * a read model), and recording the settlement where operators look.
 */
export function createSettleActivities({ db, events }: { db: Db; events: OrderStreamStore }) {
  const stream = createOrderStream({ db, events });
  const settlements = settlementCollection(db);
  const detection = createSettlementDetection({ db });

  return {
    /** The order's status and facts, read from its stream (deciding nothing, so appending nothing). */
    async orderStanding({ orderId }: { orderId: string }): Promise<OrderStanding> {
      const { state } = await stream.record({ orderId, correlationId: orderId }, () => []);
      if (state.status === null) return { status: null, facts: null };
      const order = state.order;
      return {
        status: state.status,
        facts: order
          ? {
              customerId: order.customerId,
              ...(order.customer !== undefined && { customer: order.customer }),
              accountId: order.accountId,
              items: order.items.map(({ sku, quantity }) => ({ sku, quantity })),
              shippingAddress: order.shippingAddress,
            }
          : null,
      };
    },

    /** Records the order as found without an outcome (GET /orders/unsettled, the metrics). */
    noteUnsettled: (found: Parameters<typeof detection.noteUnsettled>[0]) => detection.noteUnsettled(found),

    /** Marks the order settled, with what the settlement found and did. Safe to repeat. */
    async recordSettlement(result: SettleOrderResult & { close: string; settleWorkflowId: string }): Promise<void> {
      const now = new Date();
      // A repeat that found the outcome leaves a settled entry as its settlement recorded it.
      const filter = result.outcome === 'had-outcome' ? { state: { $ne: 'settled' as const } } : {};
      await settlements
        .updateOne(
          { _id: result.orderId, ...filter },
          {
            $set: {
              state: 'settled',
              settledAt: now,
              settleWorkflowId: result.settleWorkflowId,
              outcome: result.outcome,
              status: result.status,
              compensationsDone: result.compensationsDone,
              compensationsFailed: result.compensationsFailed,
              openDeadLetters: result.openDeadLetters,
              lastSeenAt: now,
            },
            // A settlement started by hand (not through the sweeper) is recorded all the same.
            $setOnInsert: { close: result.close, foundStatus: result.status, policy: 'compensate', detectedAt: now },
          },
          { upsert: true },
        )
        .catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== 11000) throw err;
        });
    },
  };
}

export type SettleActivities = ReturnType<typeof createSettleActivities>;
