import type { Db } from 'mongodb';
import type { OrderStatus } from '../domain/orders';
import type { SettlePolicy } from '../domain/orders/settlement';
import { settlementCollection } from '../infra/settlements';

/** A saga run that closed without returning an outcome, as Temporal's visibility (or a describe) reports it. */
export interface ClosedSaga {
  orderId: string;
  /** Terminated, TimedOut, Failed, Canceled; NotFound when the order's saga is gone from Temporal. */
  close: string;
  runId?: string;
  closedAt?: Date;
}

/**
 * The settlements ledger as detection keeps it: which closed sagas need no further look (their
 * order is settled, or reported already under the `report` policy), what was found unsettled, and
 * which settlement was started for it.
 */
export function createSettlementDetection({ db }: { db: Db }) {
  const settlements = settlementCollection(db);

  return {
    /** The orders among these that need no further look under `policy`. */
    async done(orderIds: string[], policy: SettlePolicy): Promise<Set<string>> {
      if (orderIds.length === 0) return new Set();
      const states = policy === 'report' ? ['settled', 'unsettled'] : ['settled'];
      const docs = await settlements
        .find({ _id: { $in: orderIds }, state: { $in: states as never } }, { projection: { _id: 1 } })
        .toArray();
      return new Set(docs.map((d) => d._id));
    },

    /** An order found without an outcome after its saga closed: recorded (or brought up to date). Safe to repeat. */
    async noteUnsettled(found: ClosedSaga & { foundStatus: OrderStatus | null; policy: SettlePolicy }): Promise<void> {
      const now = new Date();
      // Settled meanwhile: the upsert then collides with the settled entry, which stays as it is.
      await settlements
        .updateOne(
          { _id: found.orderId, state: { $ne: 'settled' } },
          {
            $set: {
              close: found.close,
              foundStatus: found.foundStatus,
              policy: found.policy,
              lastSeenAt: now,
              ...(found.runId !== undefined && { sagaRunId: found.runId }),
              ...(found.closedAt !== undefined && { sagaClosedAt: new Date(found.closedAt) }),
            },
            // Under `compensate` and `hold` it is found by its settlement, which is running.
            $setOnInsert: { state: found.policy === 'report' ? 'unsettled' : 'settling', detectedAt: now },
          },
          { upsert: true },
        )
        .catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== 11000) throw err;
        });
    },

    /** Its settlement was started (or was running already: one that holds the order stays `held`). */
    async settling(saga: ClosedSaga, settleWorkflowId: string, policy: SettlePolicy = 'compensate'): Promise<void> {
      const now = new Date();
      await settlements
        .updateOne(
          { _id: saga.orderId, state: { $nin: ['settled', 'held'] } },
          {
            $set: { state: 'settling', settleWorkflowId, close: saga.close, lastSeenAt: now },
            $setOnInsert: { foundStatus: null, policy, detectedAt: now },
          },
          { upsert: true },
        )
        .catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== 11000) throw err;
        });
    },
  };
}

export type SettlementDetection = ReturnType<typeof createSettlementDetection>;
