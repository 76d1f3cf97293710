import { ActivityFailure, log, workflowInfo } from '@temporalio/workflow';
import { statusAfter } from '../../domain/orders/status';
import { policyOf, type ServiceName } from '../../domain/orders/saga-settings';
import type { Saga } from './context';
import { attemptsMade, describeFailure, isExhaustedTechnicalFailure } from './failures';

/** Undoes what was done, newest first; what cannot be undone becomes a dead letter. */
export async function compensate(saga: Saga, err: unknown, cancelled: boolean): Promise<void> {
  const { state, act, ctx, facts, settings } = saga;
  state.view.failureReason = cancelled ? state.cancelReason : describeFailure(err);
  state.view.awaitingApproval = false;
  const failedStep = state.running;
  state.setStatus(statusAfter('OrderCompensating'));
  if (!cancelled && failedStep && isExhaustedTechnicalFailure(err)) {
    await park(
      saga,
      'step',
      failedStep.service,
      failedStep.name,
      failedStep.args,
      err,
      policyOf(settings, failedStep.service).maximumAttempts,
    );
  }
  // The status marker must not hold up the refund when the order service is down: it runs
  // alongside the other compensations and is awaited only before the order's own.
  const marking = act.undo.markCompensating({ ...ctx, reason: state.view.failureReason, order: facts }).then(
    () => true,
    (markErr: unknown) => {
      log.warn('could not mark the order compensating; the cancellation will still record it', {
        orderId: ctx.orderId,
        error: describeFailure(markErr),
      });
      return false;
    },
  );
  for (const entry of saga.undo.inUndoOrder()) {
    if (entry.service === 'order') await marking;
    state.view.currentStep = entry.step;
    const args = entry.args();
    try {
      await entry.run(args);
      state.view.compensationsDone.push(entry.step);
    } catch (compensationError) {
      if (!(compensationError instanceof ActivityFailure)) throw compensationError;
      // Retries are exhausted: never drop it silently; park it where an operator will see it.
      state.view.compensationsFailed.push(entry.step);
      await park(
        saga,
        'compensation',
        entry.service,
        entry.step,
        args,
        compensationError,
        settings.compensationPolicy.maximumAttempts,
      );
    }
  }
  await marking;
  state.setStatus(statusAfter('OrderCancelled', { openCompensations: state.view.compensationsFailed.length > 0 }));
  state.view.currentStep = null;
}

/** Records a dead letter with exactly what the activity was called with, so an operator can redrive it. */
async function park(
  { state, act, ctx }: Saga,
  kind: 'step' | 'compensation',
  service: ServiceName,
  step: string,
  args: unknown,
  err: unknown,
  maximumAttempts: number,
): Promise<void> {
  const id = await act.bookkeeping.recordDeadLetter({
    source: 'saga',
    kind,
    service,
    step,
    orderId: ctx.orderId,
    correlationId: ctx.correlationId,
    input: args,
    error: describeFailure(err),
    ...attemptsMade(err, maximumAttempts),
    workflowId: workflowInfo().workflowId,
    runId: workflowInfo().runId,
  });
  if (kind === 'compensation') state.view.openDeadLetters!.push(id);
}
