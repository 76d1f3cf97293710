import { proxyActivities, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { DeadLetterActivities } from '../../activities/dead-letters';
import type { SettleActivities } from '../../activities/settle-order';
import { DEFAULT_COMPENSATION_POLICY, type StepPolicy } from '../../domain/orders/saga-settings';
import type { SettleOrderInput, SettleOrderResult } from '../../domain/orders/settlement';
import type { CompensationStep } from '../../domain/orders/steps';
import { activityOptions } from '../policies';
import type { StepActivities } from '../saga/activities';

/** Reading the order and recording the settlement have nowhere else to go: retried until the store answers. */
export const untilDone = (policy: StepPolicy): StepPolicy => ({ ...policy, maximumAttempts: 0 });

type Compensations = Pick<StepActivities, CompensationStep | 'markCompensating'>;

/** What the settle workflow's parts share: the order, its compensation budget and the activities. */
export interface Settlement {
  readonly input: SettleOrderInput;
  readonly orderId: string;
  readonly close: string;
  readonly ctx: { orderId: string; correlationId: string };
  readonly policy: StepPolicy;
  readonly undo: ActivityInterfaceFor<Compensations>;
  readonly own: ActivityInterfaceFor<SettleActivities>;
  readonly bookkeeping: ActivityInterfaceFor<DeadLetterActivities>;
  /** Records the settlement where operators look, and answers it. */
  finish(result: SettleOrderResult): Promise<SettleOrderResult>;
}

/** The settlement's context; building it writes nothing to the history. */
export function settlement(input: SettleOrderInput): Settlement {
  const policy = input.compensationPolicy ?? DEFAULT_COMPENSATION_POLICY;
  const own = proxyActivities<SettleActivities>(activityOptions(untilDone(policy)));
  const { workflowId } = workflowInfo();
  return {
    input,
    orderId: input.orderId,
    close: input.close,
    ctx: { orderId: input.orderId, correlationId: input.correlationId ?? input.orderId },
    policy,
    undo: proxyActivities<Compensations>(activityOptions(policy)),
    own,
    bookkeeping: proxyActivities<DeadLetterActivities>(activityOptions(untilDone(policy))),
    async finish(result) {
      await own.recordSettlement({ ...result, close: input.close, settleWorkflowId: workflowId });
      return result;
    },
  };
}

/** What a settlement that did nothing to the order's services reports. */
export const nothing = (): Pick<
  SettleOrderResult,
  'compensationsDone' | 'compensationsFailed' | 'openDeadLetters'
> => ({
  compensationsDone: [],
  compensationsFailed: [],
  openDeadLetters: [],
});
