import type { Db } from 'mongodb';
import type { EventStore } from '../eventstore';
import {
  ORDER_STATUS,
  type OrderFacts,
  type OrderStatus,
  type SagaEventType,
  type ShippingAddress,
} from '../domain/orders';
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

/** How far an order got, for a settlement that finishes it forward. */
export interface OrderProgress {
  /** The order's total as createOrder priced it (null: not recorded). */
  total: number | null;
  /** The address on the order now (a correction included). */
  shippingAddress: ShippingAddress | null;
  /** The event types its payment, reservation and shipment streams hold. */
  seen: SagaEventType[];
}

/** The services' streams whose events show a forward step done or undone. */
const STEP_STREAMS = ['payment', 'reservation', 'shipment'] as const;

/**
 * The activities of the settle workflow (workflows/settle-order.ts) beyond the saga's own
 * compensations: reading where the order stands, on its stream (the Order service's state, never
 * a read model), and recording the settlement where operators look.
 */
export function createSettleActivities({
  db,
  events,
}: {
  db: Db;
  events: OrderStreamStore & Pick<EventStore, 'readStream'>;
}) {
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

    /** The order's total and address, and what its services' streams recorded (deciding nothing). */
    async orderProgress({ orderId }: { orderId: string }): Promise<OrderProgress> {
      const { state } = await stream.record({ orderId, correlationId: orderId }, () => []);
      const order = state.status === null ? undefined : state.order;
      const streams = await Promise.all(STEP_STREAMS.map((type) => events.readStream(`${type}-${orderId}`)));
      return {
        total: order?.total ?? null,
        shippingAddress: order?.shippingAddress ?? null,
        seen: [...new Set(streams.flat().map((e) => e.type as SagaEventType))],
      };
    },

    /** Under `hold`: the order waits in NEEDS_ATTENTION for an operator (GET /orders/unsettled, the metrics). Safe to repeat. */
    async noteHeld(held: {
      orderId: string;
      close: string;
      step: string;
      reason: string;
      since: string;
      until: string;
      settleWorkflowId: string;
    }): Promise<void> {
      const now = new Date();
      await settlements
        .updateOne(
          { _id: held.orderId, state: { $ne: 'settled' } },
          {
            $set: {
              state: 'held',
              status: ORDER_STATUS.NEEDS_ATTENTION,
              settleWorkflowId: held.settleWorkflowId,
              needsAttention: {
                step: held.step,
                reason: held.reason,
                since: new Date(held.since),
                until: new Date(held.until),
              },
              lastSeenAt: now,
            },
            $setOnInsert: { close: held.close, foundStatus: null, policy: 'hold', detectedAt: now },
          },
          { upsert: true },
        )
        .catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== 11000) throw err;
        });
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
              ...(result.repair !== undefined && { repair: result.repair }),
              ...(result.holdEnded !== undefined && { holdEnded: result.holdEnded }),
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
