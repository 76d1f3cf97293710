import { ApplicationFailure, condition } from '@temporalio/workflow';
import { statusAfter } from '../../domain/orders/status';
import { APPROVAL } from '../../domain/orders/steps';
import type { Saga } from './context';

/** The operator's approval of an order above the threshold: a wait for a signal, then its record. */
export async function awaitApproval({ state, settings, act, ctx }: Saga): Promise<void> {
  state.view.awaitingApproval = true;
  state.setStatus(statusAfter('OrderCreated', { requiresApproval: true }));
  state.at(APPROVAL.step);
  const decided = await condition(() => state.decision !== undefined, settings.approvalTimeoutMs, {
    summary: APPROVAL.summary(settings.approvalTimeoutMs),
  });
  state.view.awaitingApproval = false;
  if (!decided) throw ApplicationFailure.nonRetryable('approval timed out', 'ApprovalTimedOut');
  const decision = state.decision!;
  if (!decision.approved) {
    await act.forward.order.recordRejection({ ...ctx, by: decision.by, reason: decision.reason });
    throw ApplicationFailure.nonRetryable(
      `rejected${decision.reason ? `: ${decision.reason}` : ''}`,
      'ApprovalRejected',
    );
  }
  await act.forward.order.recordApproval(ctx);
  state.view.stepsDone.push(APPROVAL.step);
  state.setStatus(statusAfter('OrderApproved'));
}
