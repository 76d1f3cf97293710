import { ActivityFailure, ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { OrderFacts } from '../../domain/orders/saga';
import {
  ORDER_COMPENSATION,
  SERVICE_COMPENSATIONS,
  awaitsOutcome,
  type SettleOrderResult,
} from '../../domain/orders/settlement';
import { serviceOf, type CompensationStep } from '../../domain/orders/steps';
import { attemptsMade, describeFailure } from '../saga/failures';
import { nothing, type Settlement } from './context';

/**
 * Undoes what the order's services recorded and cancels it with `reason`:
 *
 * 1. Marks it compensating first: from then on a completeOrder the ended saga left running is
 *    refused, and an order that did complete refuses this instead (nothing is undone then).
 * 2. Runs every service's compensation, newest first. Each is the saga's own activity, idempotent
 *    with the original step: it undoes what its service's stream shows was done and voids a step
 *    that never happened, so a step still in flight from the ended saga is refused when it lands.
 *    One that exhausts its retries is parked as a dead letter, as the saga parks its own.
 * 3. Cancels the order: CANCELLED, or COMPENSATION_INCOMPLETE while a compensation is parked (a
 *    redrive completes it).
 *
 * `extra` goes into the result (under `hold`: the repair, or how the wait ended).
 */
export async function compensateOrder(
  s: Settlement,
  facts: OrderFacts,
  reason: string,
  extra: Pick<SettleOrderResult, 'repair' | 'holdEnded'> = {},
): Promise<SettleOrderResult> {
  const { orderId, ctx, undo, own, bookkeeping, policy } = s;
  try {
    await undo.markCompensating({ ...ctx, reason, order: facts });
  } catch (err) {
    // Refused: the order has an outcome after all (it completed, or another settlement ended it).
    if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable))
      throw err;
    const now = await own.orderStanding({ orderId });
    if (awaitsOutcome(now.status)) throw err;
    return s.finish({ orderId, outcome: 'had-outcome', status: now.status, ...nothing(), ...extra });
  }

  const done: CompensationStep[] = [];
  const failed: CompensationStep[] = [];
  const openDeadLetters: string[] = [];
  // Every compensation takes what it needs of one argument: the order, its account and its items.
  const args = { ...ctx, accountId: facts.accountId, items: facts.items };
  for (const step of SERVICE_COMPENSATIONS) {
    try {
      await (undo[step] as (a: typeof args) => Promise<unknown>)(args);
      done.push(step);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      failed.push(step);
      const { workflowId, runId } = workflowInfo();
      openDeadLetters.push(
        await bookkeeping.recordDeadLetter({
          source: 'saga',
          kind: 'compensation',
          service: serviceOf(step),
          step,
          orderId,
          correlationId: ctx.correlationId,
          input: args,
          error: describeFailure(err),
          ...attemptsMade(err, policy.maximumAttempts),
          workflowId,
          runId,
        }),
      );
    }
  }
  await (undo[ORDER_COMPENSATION] as (a: object) => Promise<unknown>)({
    ...ctx,
    reason,
    order: facts,
    openCompensations: failed,
  });
  done.push(ORDER_COMPENSATION);
  const after = await own.orderStanding({ orderId });
  return s.finish({
    orderId,
    outcome: 'settled',
    status: after.status,
    compensationsDone: done,
    compensationsFailed: failed,
    openDeadLetters,
    ...extra,
  });
}
