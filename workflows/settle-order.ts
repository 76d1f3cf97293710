import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DeadLetterActivities } from '../activities/dead-letters';
import type { SettleActivities } from '../activities/settle-order';
import type { OrderFacts } from '../domain/orders/saga';
import type { StepPolicy } from '../domain/orders/saga-settings';
import {
  ORDER_COMPENSATION,
  SERVICE_COMPENSATIONS,
  awaitsOutcome,
  settlementReason,
  type SettleOrderInput,
  type SettleOrderResult,
} from '../domain/orders/settlement';
import { serviceOf, type CompensationStep } from '../domain/orders/steps';
import { activityOptions } from './policies';
import type { StepActivities } from './saga/activities';
import { attemptsMade, describeFailure } from './saga/failures';

/** The saga's compensation budget when the caller names none (config/saga.ts at scale 1). */
const COMPENSATION: StepPolicy = {
  startToCloseTimeoutMs: 15_000,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  maximumAttempts: 30,
};
/** Reading the order and recording the settlement have nowhere else to go: retried until the store answers. */
const untilDone = (policy: StepPolicy): StepPolicy => ({ ...policy, maximumAttempts: 0 });

type Compensations = Pick<StepActivities, CompensationStep | 'markCompensating'>;

/**
 * Settles an order whose saga ended without an outcome (terminated from the CLI or the Web UI,
 * timed out, failed): Temporal runs no workflow code on terminate, so the saga could not undo what
 * it had done. Workflow id `settle-<orderId>`, started by the worker's sweeper.
 *
 * 1. Reads where the order stands on its stream. One with an outcome is left as it is.
 * 2. Marks it compensating first: from then on a completeOrder the ended saga left running is
 *    refused, and an order that did complete refuses this instead (nothing is undone then).
 * 3. Runs every service's compensation, newest first. Each is the saga's own activity, idempotent
 *    with the original step: it undoes what its service's stream shows was done and voids a step
 *    that never happened, so a step still in flight from the ended saga is refused when it lands.
 *    One that exhausts its retries is parked as a dead letter, as the saga parks its own.
 * 4. Cancels the order with the reason `saga ended without outcome: <close>`: CANCELLED, or
 *    COMPENSATION_INCOMPLETE while a compensation is parked (a redrive completes it).
 *
 * Running it again (a second start, the sweeper finding it again, a terminate of this workflow
 * followed by a new run) refunds, releases and cancels nothing twice: the compensations' event ids
 * follow from the order.
 */
export async function settleOrder(input: SettleOrderInput): Promise<SettleOrderResult> {
  const policy = input.compensationPolicy ?? COMPENSATION;
  const undo = proxyActivities<Compensations>(activityOptions(policy));
  const own = proxyActivities<SettleActivities>(activityOptions(untilDone(policy)));
  const bookkeeping = proxyActivities<DeadLetterActivities>(activityOptions(untilDone(policy)));
  const { orderId, close } = input;
  const { workflowId, runId } = workflowInfo();
  const finish = async (result: SettleOrderResult): Promise<SettleOrderResult> => {
    await own.recordSettlement({ ...result, close, settleWorkflowId: workflowId });
    return result;
  };
  const nothing = { compensationsDone: [], compensationsFailed: [], openDeadLetters: [] };

  const found = await own.orderStanding({ orderId });
  if (!awaitsOutcome(found.status))
    return finish({ orderId, outcome: 'had-outcome', status: found.status, ...nothing });
  await own.noteUnsettled({
    orderId,
    close,
    foundStatus: found.status,
    policy: input.policy ?? 'compensate',
    ...(input.sagaRunId !== undefined && { runId: input.sagaRunId }),
    ...(input.sagaClosedAt !== undefined && { closedAt: new Date(input.sagaClosedAt) }),
  });
  if (input.policy === 'report') return { orderId, outcome: 'reported', status: found.status, ...nothing };
  const facts: OrderFacts | undefined = found.facts ?? input.facts;
  // Not recorded, and nothing to record it with: the saga never priced it, so nothing was charged,
  // reserved or booked. A createOrder that lands late makes it an order a later sweep finds.
  if (!facts) return finish({ orderId, outcome: 'nothing-recorded', status: null, ...nothing });

  const ctx = { orderId, correlationId: input.correlationId ?? orderId };
  const reason = settlementReason(close);
  try {
    await undo.markCompensating({ ...ctx, reason, order: facts });
  } catch (err) {
    // Refused: the order has an outcome after all (it completed, or another settlement ended it).
    if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable))
      throw err;
    const now = await own.orderStanding({ orderId });
    if (awaitsOutcome(now.status)) throw err;
    return finish({ orderId, outcome: 'had-outcome', status: now.status, ...nothing });
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
  return finish({
    orderId,
    outcome: 'settled',
    status: after.status,
    compensationsDone: done,
    compensationsFailed: failed,
    openDeadLetters,
  });
}
