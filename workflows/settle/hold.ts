import {
  condition,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { duration } from '../../domain/orders/format';
import {
  DEFAULT_REPAIR_WAIT_MS,
  parseRepairRequest,
  repairRefusal,
  type RepairAccepted,
  type RepairRequest,
} from '../../domain/orders/repair';
import type { CancelAccepted, OrderFacts } from '../../domain/orders/saga';
import { heldAt, remainingSteps, settlementReason, type SettleOrderResult } from '../../domain/orders/settlement';
import { statusAfter } from '../../domain/orders/status';
import { cancelUpdate, repairUpdate } from '../definitions';
import { activityOptions } from '../policies';
import type { StepActivities } from '../saga/activities';
import { describeFailure } from '../saga/failures';
import { currentDetails, needsAttentionDetails } from '../story';
import { compensateOrder } from './compensate';
import type { Settlement } from './context';
import { finishForward, stepPolicy } from './forward';

/**
 * The `hold` policy: the order waits in NEEDS_ATTENTION for an operator, as a saga whose step needs
 * a repair does (workflows/saga/repair.ts), with the same `repair` Update delivered here (the API
 * sends it to `settle-<orderId>` when the saga is closed):
 *
 * - `compensate`: undoes what its services recorded and cancels it, as the `compensate` policy does;
 * - `retry`: runs the forward steps its services' events show still to run, with the saga's
 *   activities and ids, then completes it (./forward.ts);
 * - `correct`: the same, with a corrected shipping address, only while the booking is still to run.
 *
 * It waits at most the saga's repair wait (REPAIR_WAIT_TIMEOUT), then compensates; a customer's
 * cancel (the saga's `cancel` Update, delivered here too) compensates it at once. Each is accepted
 * once: a second repair, or a cancel after a repair, is refused by the validators.
 */
export async function holdForRepair(s: Settlement, facts: OrderFacts): Promise<SettleOrderResult> {
  const { orderId, ctx, own, input } = s;
  const settings = input.settings;
  const waitMs = settings?.repairWaitMs ?? DEFAULT_REPAIR_WAIT_MS;
  const held = statusAfter('OrderNeedsAttention');
  let waiting: { step: string } | null = null;
  let repair: RepairRequest | undefined;
  let cancel: { reason?: string; by?: string } | undefined;

  setHandler(
    repairUpdate,
    (request): RepairAccepted => {
      repair = parseRepairRequest(request);
      return { orderId, accepted: 'repair', action: repair.action, status: held };
    },
    {
      validator: (request) => {
        const asked = parseRepairRequest(request);
        if (cancel) throw new Error(`Order ${orderId} is being cancelled: it cannot be repaired`);
        if (repair) throw new Error(`Order ${orderId} is already being repaired (${repair.action})`);
        const refusal = repairRefusal(orderId, held, waiting, asked);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(
    cancelUpdate,
    (request): CancelAccepted => {
      cancel = request ?? {};
      return { orderId, accepted: 'cancel', status: held };
    },
    {
      validator: (request: { reason?: string } | undefined) => {
        if (request !== undefined && request !== null && typeof request !== 'object')
          throw new Error('A cancel request is an object: { reason?, by? }');
        if (!waiting) throw new Error(`Order ${orderId} is not waiting: it cannot be cancelled now`);
        if (repair)
          throw new Error(`Order ${orderId} is being repaired (${repair.action}): it can no longer be cancelled`);
      },
    },
  );

  const progress = await own.orderProgress({ orderId });
  const remaining = remainingSteps(progress.seen);
  const step = heldAt(remaining);
  const reason = settlementReason(s.close);
  // Workflow time: the same on every replay.
  const since = new Date();
  const until = new Date(since.getTime() + waitMs);
  setCurrentDetails(
    `${currentDetails(held, step, progress.total)}  \n${needsAttentionDetails(step, reason, until.toISOString())}`,
  );
  // The order's own record of the wait (its stream, the read model, GET /orders?status=NEEDS_ATTENTION).
  const order = proxyActivities<Pick<StepActivities, 'markNeedsAttention'>>(activityOptions(stepPolicy(s, 'order')));
  await order.markNeedsAttention({ ...ctx, step, reason }).catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    log.warn('could not record that the order needs attention; the settlement waits anyway', {
      orderId,
      error: describeFailure(err),
    });
  });
  // Waiting from the moment the order says so: an operator who sees NEEDS_ATTENTION may repair at once,
  // even before the ledger's entry below is written.
  waiting = { step };
  await own.noteHeld({
    orderId,
    close: s.close,
    step,
    reason,
    since: since.toISOString(),
    until: until.toISOString(),
    settleWorkflowId: workflowInfo().workflowId,
  });

  const answered = await condition(() => repair !== undefined || cancel !== undefined, waitMs, {
    summary: `wait up to ${duration(waitMs)} for a repair of ${step}`,
  });
  setCurrentDetails(currentDetails(held, step, progress.total));
  if (!answered)
    return compensateOrder(s, facts, `not repaired within ${duration(waitMs)}: ${reason}`, { holdEnded: 'timed-out' });
  if (cancel)
    return compensateOrder(s, facts, cancel.reason ? `cancelled: ${cancel.reason}` : 'cancelled', {
      holdEnded: 'cancelled',
    });
  const done = repair!;
  const by = { action: done.action, ...(done.by !== undefined && { by: done.by }) };
  if (done.action === 'compensate')
    return compensateOrder(s, facts, `compensated by an operator: ${done.reason}`, { repair: by });
  return finishForward(s, facts, {
    remaining,
    total: progress.total,
    address: progress.shippingAddress ?? facts.shippingAddress,
    ...(done.action === 'correct' && { correctedAddress: done.shippingAddress }),
    repair: by,
  });
}
