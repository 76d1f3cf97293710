import { z } from 'zod';
import { ORDER_STATUSES, REPAIR_ACTIONS } from '../../domain/orders';
import { SETTLE_POLICIES } from '../../domain/orders/settlement';
import { operations, operators } from './define';
import { id } from './schemas';

const instant = z.string().meta({ format: 'date-time' });

export const unsettledQuery = z.strictObject({
  state: z
    .enum(['unsettled', 'settling', 'held', 'settled', 'open'])
    .default('open')
    .meta({ description: 'open (the default): unsettled, settling or held; or one state' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  orderId: id
    .optional()
    .meta({ description: "Only this order's settlement (an order's page asks whether one holds it)" }),
});

/** One order whose saga ended without an outcome, as the settlements ledger keeps it. */
export const settlementBody = z.looseObject({
  orderId: z.string(),
  close: z.string().meta({ description: 'How the saga ended: Terminated, TimedOut, Failed, Canceled or NotFound' }),
  state: z.enum(['unsettled', 'settling', 'held', 'settled']).meta({
    description:
      'held: under SETTLE_POLICY=hold, its settlement waits in NEEDS_ATTENTION for POST /orders/{orderId}/repair',
  }),
  policy: z.enum(SETTLE_POLICIES),
  foundStatus: z
    .enum(ORDER_STATUSES)
    .nullable()
    .meta({ description: "The order's status when found; null: not recorded" }),
  detectedAt: instant,
  settleWorkflowId: z.string().optional(),
  settledAt: instant.optional(),
  outcome: z
    .enum(['settled', 'had-outcome', 'reported', 'nothing-recorded', 'completed'])
    .optional()
    .meta({ description: 'completed: a held order finished forward by an operator’s retry or correction' }),
  status: z.enum(ORDER_STATUSES).nullable().optional(),
  compensationsDone: z.array(z.string()).optional(),
  compensationsFailed: z.array(z.string()).optional(),
  openDeadLetters: z.array(z.string()).optional(),
  needsAttention: z
    .looseObject({ step: z.string(), reason: z.string(), since: instant, until: instant })
    .optional()
    .meta({ description: 'Held: the step it waits at, why, and until when (then it is compensated)' }),
  repair: z.looseObject({ action: z.enum(REPAIR_ACTIONS), by: z.string().optional() }).optional(),
  holdEnded: z.enum(['timed-out', 'cancelled']).optional(),
});
export const unsettledBody = z.looseObject({ orders: z.array(settlementBody) });

/** Orders no saga outcome reached (workflows/settle-order.ts settles them). */
export const settlementOperations = operations({
  'GET /orders/unsettled': {
    summary:
      'Orders whose saga ended without an outcome (terminated, timed out, failed), as the worker’s sweep found them, and how each was settled (SETTLE_POLICY)',
    access: operators,
    query: unsettledQuery,
    responses: { '200': { description: 'Newest found first', body: unsettledBody } },
  },
});
