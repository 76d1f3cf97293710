import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { duration } from '../../domain/orders/format';
import {
  DEFAULT_REPAIR_WAIT_MS,
  REPAIRABLE_STEPS,
  isRepairable,
  parseRepairRequest,
  repairRefusal,
  type RepairAccepted,
  type RepairRequest,
} from '../../domain/orders/repair';
import type { SagaStep } from '../../domain/orders/saga';
import { parseShippingAddress } from '../../domain/orders/shipping-address';
import { PASSING_STATUSES, statusAfter } from '../../domain/orders/status';
import type { ForwardStep } from '../../domain/orders/steps';
import { OrderStatusKey } from '../../infra/search-attribute-keys';
import { repairUpdate } from '../definitions';
import { SAGA_REPAIR } from '../patches';
import { currentDetails, needsAttentionDetails } from '../story';
import type { SagaSettings } from '../../domain/orders/saga-settings';
import type { SagaActivities } from './activities';
import { describeFailure } from './failures';
import type { SagaPatches } from './patches-in-force';
import type { SagaState } from './state';
import { STEP_CALLS, type StepContext } from './steps';

/** What a repair works with (a part of the saga's context, named here so the context can import this file). */
type Saga = StepContext & {
  readonly settings: SagaSettings;
  readonly act: SagaActivities;
  readonly patches: Pick<SagaPatches, 'repair'>;
};

const failureType = (err: unknown): string | undefined =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;

/**
 * Whether a step's failure waits for an operator's repair: a failure the step table lists as
 * `repairable` for that step. The saga then waits in NEEDS_ATTENTION (`awaitRepairedArgs`) instead
 * of compensating. Sagas started before this behaviour compensate as they did: the patch is asked
 * only when a repairable failure happens, so a saga that never meets one records no marker; sagas
 * that record SAGA_BASELINE_2026_12 never ask it (it is in force).
 */
export function waitsForRepair(saga: Saga, step: SagaStep, err: unknown): boolean {
  return (
    (REPAIRABLE_STEPS as readonly string[]).includes(step) &&
    isRepairable(step, failureType(err)) &&
    (saga.patches.repair ?? patched(SAGA_REPAIR))
  );
}

/**
 * Waits for the operator's repair of a step's failure, then answers the step's arguments to run it
 * again with, computed anew (a correction changes them), or gives up by throwing. The wait runs in
 * the caller's scope (the forward scope), so an accepted cancel ends it and the saga compensates.
 */
export async function awaitRepairedArgs(saga: Saga, step: SagaStep, err: unknown): Promise<unknown> {
  const repair = await awaitRepair(saga, step, describeFailure(err));
  if (repair.action === 'compensate')
    throw ApplicationFailure.nonRetryable(`compensated by an operator: ${repair.reason}`, 'RepairCompensated');
  if (repair.action === 'correct') await correctAddress(saga, repair.shippingAddress);
  return STEP_CALLS[step as ForwardStep].args(saga);
}

/** Waits in NEEDS_ATTENTION for an operator's repair, at most the saga's wait limit. */
async function awaitRepair(saga: Saga, step: SagaStep, reason: string): Promise<RepairRequest> {
  const { state, settings, act, ctx } = saga;
  const waitMs = settings.repairWaitMs ?? DEFAULT_REPAIR_WAIT_MS;
  const before = state.view.status;
  // Workflow time: the same on every replay.
  const since = new Date();
  const until = new Date(since.getTime() + waitMs);
  state.view.needsAttention = { step, reason, since: since.toISOString(), until: until.toISOString() };
  state.setStatus(statusAfter('OrderNeedsAttention'));
  setCurrentDetails(
    `${currentDetails(state.view.status, state.view.currentStep, state.view.total)}  \n${needsAttentionDetails(step, reason, until.toISOString())}`,
  );
  try {
    // The order's own record of the wait (the read model, GET /orders?status=NEEDS_ATTENTION, the
    // metrics). The saga waits whether or not the order service answers: the status query has it.
    await act.forward.order.markNeedsAttention({ ...ctx, step, reason }).catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      log.warn('could not record that the order needs attention; the saga waits anyway', {
        orderId: ctx.orderId,
        error: describeFailure(err),
      });
    });
    const repaired = await condition(() => state.repair !== undefined, waitMs, {
      summary: `wait up to ${duration(waitMs)} for a repair of ${step}`,
    });
    if (!repaired)
      throw ApplicationFailure.nonRetryable(`not repaired within ${duration(waitMs)}: ${reason}`, 'RepairTimedOut');
    const repair = state.repair!;
    if (repair.action !== 'compensate') {
      // Back where the step started; the OrderStatus search attribute follows even for a passing status.
      state.setStatus(before);
      if (PASSING_STATUSES.includes(before)) upsertSearchAttributes([{ key: OrderStatusKey, value: before }]);
    }
    return repair;
  } finally {
    state.repair = undefined;
    state.view.needsAttention = null;
  }
}

/** The operator's corrected address, recorded on the order like a customer's change, then shipped to. */
async function correctAddress({ state, act, ctx }: Saga, address: unknown): Promise<void> {
  const valid = parseShippingAddress(address);
  await act.forward.order.changeShippingAddress({ ...ctx, address: valid });
  state.view.shippingAddress = valid;
}

/**
 * The `repair` Update: accepted only while the saga waits in NEEDS_ATTENTION, once per wait, and
 * not once a cancel was accepted; the saga acts on it at once. Registering it writes nothing to the
 * history, so sagas started without it replay unchanged.
 */
export function installRepairHandler({ state, ctx }: { state: SagaState; ctx: { orderId: string } }): void {
  setHandler(
    repairUpdate,
    (request): RepairAccepted => {
      const repair = parseRepairRequest(request);
      state.repair = repair;
      return { orderId: ctx.orderId, accepted: 'repair', action: repair.action, status: state.view.status };
    },
    {
      validator: (request) => {
        const repair = parseRepairRequest(request);
        if (state.view.cancelRequested)
          throw new Error(`Order ${ctx.orderId} is being cancelled: it cannot be repaired`);
        if (state.repair) throw new Error(`Order ${ctx.orderId} is already being repaired (${state.repair.action})`);
        const refusal = repairRefusal(ctx.orderId, state.view.status, state.view.needsAttention, repair);
        if (refusal) throw new Error(refusal);
      },
    },
  );
}
