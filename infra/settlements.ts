import type { Db } from 'mongodb';
import type { OrderStatus } from '../domain/orders';
import type { SettleOrderResult, SettlePolicy } from '../domain/orders/settlement';

/**
 * Orders whose saga ended without an outcome, one document per order: written by the worker's
 * sweeper when it finds one and by the settle workflow when it is settled; read by the API
 * (GET /orders/unsettled) and the metrics. This is its one binding and its one document type.
 */
export interface SettlementDocument {
  /** The order id. */
  _id: string;
  /** How the saga's run closed (Terminated, TimedOut, Failed, Canceled; NotFound: its history is gone). */
  close: string;
  sagaRunId?: string;
  sagaClosedAt?: Date;
  /** The order's status when the sweeper found it (null: not recorded). */
  foundStatus: OrderStatus | null;
  /**
   * - `unsettled`: found, not being settled (the policy is `report`, or the start failed and is tried again);
   * - `settling`: its settle workflow was started;
   * - `held`: under the `hold` policy, its settle workflow waits in NEEDS_ATTENTION for an operator's repair;
   * - `settled`: it has an outcome.
   */
  state: 'unsettled' | 'settling' | 'held' | 'settled';
  policy: SettlePolicy;
  detectedAt: Date;
  lastSeenAt: Date;
  settleWorkflowId?: string;
  settledAt?: Date;
  outcome?: SettleOrderResult['outcome'];
  status?: OrderStatus | null;
  compensationsDone?: string[];
  compensationsFailed?: string[];
  openDeadLetters?: string[];
  /** Under `hold`: where the order waits, why, since when and until when (then it is compensated). */
  needsAttention?: { step: string; reason: string; since: Date; until: Date };
  repair?: SettleOrderResult['repair'];
  holdEnded?: SettleOrderResult['holdEnded'];
}

export const settlementCollection = (db: Db) => db.collection<SettlementDocument>('order_settlements');
