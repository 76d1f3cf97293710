import { CancellationScope, CancelledFailure, allHandlersFinished, condition, patched } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { ORDER_STATUS, statusAfter } from '../domain/orders/status';
import { APPROVAL, FINAL_STEP, SAGA_STEPS } from '../domain/orders/steps';
import { orderSagaV1 } from './legacy/order-saga-v1';
import { orderSagaV2 } from './legacy/order-saga-v2';
import { SAGA_BASELINE_2026_12, SAGA_POINT_OF_NO_RETURN, SAGA_STEP_TABLE } from './patches';
import { sagaActivities } from './saga/activities';
import { awaitApproval } from './saga/approval';
import { compensate } from './saga/compensate';
import { CompensationStack, compensation } from './saga/compensation-stack';
import { runStep, type Saga } from './saga/context';
import { isSagaOutcome } from './saga/failures';
import { runLocally, type LocalStep } from './saga/local';
import { BASELINE_2026_12, patchesAskedOneByOne, type SagaPatches } from './saga/patches-in-force';
import { installHandlers } from './saga/handlers';
import { SagaState } from './saga/state';
import { STEP_CALLS } from './saga/steps';
import { withDefaultPolicies } from '../domain/orders/saga-settings';
import type { OrderSagaInput, OrderSagaResult } from '../domain/orders/saga';

/**
 * The order saga, workflow id `order-<orderId>`, as the step table draws it (domain/orders/steps.ts):
 *   createOrder -> [approval] -> processPayment -> reserveItems -> scheduleShipment -> | completeOrder
 *
 * Its promise: every order ends COMPLETED, or CANCELLED with everything it did undone, or
 * COMPENSATION_INCOMPLETE with what could not be undone parked as dead letters; never both.
 *
 * - The point of no return (`|`) is the start of completeOrder. Before it, a cancel (the `cancel`
 *   Update, or a raw workflow cancel) stops the saga at the next checkpoint and undoes what was
 *   done. From it on, the order completes: the Update's validator refuses, and a raw cancel is
 *   counted and ignored.
 * - Any other failure (a business rule, or a technical failure that exhausted its retries) undoes
 *   what was done, in reverse. Bookkeeping that has nowhere else to go (dead letters) and the
 *   completion past the point of no return are retried without limit: an outage makes the saga
 *   wait, visibly, instead of dropping what it must record.
 * - A bug in this code is not a business outcome: it fails the workflow task, to be fixed and replayed.
 */
export async function orderSaga(input: OrderSagaInput): Promise<OrderSagaResult> {
  // Asked first, in the first activation, before anything else: a new saga records this marker alone.
  if (patched(SAGA_BASELINE_2026_12)) return runOrderSaga(input, BASELINE_2026_12);
  // Checked once, at the start: sagas started before a version replay their original code, unchanged.
  if (!patched(SAGA_POINT_OF_NO_RETURN)) return orderSagaV1(input);
  if (!patched(SAGA_STEP_TABLE)) return orderSagaV2(input);
  return runOrderSaga(input, patchesAskedOneByOne());
}

/**
 * `patches`: what this saga's patches answer, asked in its first activation, before createOrder's
 * local activity: a patch asked after a local activity's result may be announced to a replay one
 * task too late (workflows/patches.ts).
 */
async function runOrderSaga(input: OrderSagaInput, patches: SagaPatches): Promise<OrderSagaResult> {
  const settings = withDefaultPolicies(input.settings);
  const { orderId, correlationId } = input;
  // The forward steps run in their own scope, shielded from the workflow's root scope: only an
  // accepted cancel cancels it, so a cancel is a decision taken here, not a side effect of timing.
  const shield = new CancellationScope({ cancellable: false });
  const saga: Saga = {
    input,
    settings,
    ctx: { orderId, correlationId },
    facts: {
      customerId: input.customerId,
      customer: input.customer,
      accountId: input.accountId,
      items: input.items,
      shippingAddress: input.shippingAddress,
    },
    state: new SagaState(input),
    act: sagaActivities(settings, { localSteps: patches.localSteps }),
    patches,
    // Address changes and the steps that read or settle the address take turns: the last accepted
    // change is the one shipped, and a change queued behind the booking finds it booked and is refused.
    addressLock: new Mutex(),
    forward: new CancellationScope({ cancellable: true, parent: shield }),
    undo: new CompensationStack(),
  };
  const { state } = saga;
  installHandlers(saga);

  return shield.run(async () => {
    try {
      await saga.forward.run(() => forwardSteps(saga));
      // A cancel accepted while the last forward step ran (it finished anyway) still wins: this check
      // and crossing the point of no return happen in one synchronous step, so nothing slips between.
      if (state.view.cancelRequested) throw new CancelledFailure('cancelled before the order completed');
      state.view.pastPointOfNoReturn = true;
    } catch (err) {
      state.forwardEnded = true;
      const cancelled = state.view.cancelRequested === true;
      if (!cancelled && !isSagaOutcome(err)) throw err;
      await compensate(saga, err, cancelled);
      await condition(allHandlersFinished);
      if (state.cancelledByWorkflowCancel) throw new CancelledFailure(state.view.failureReason ?? 'cancelled');
      const status = state.view.status as OrderSagaResult['status'];
      return {
        orderId,
        status,
        failureReason: state.view.failureReason,
        ...(status === ORDER_STATUS.COMPENSATION_INCOMPLETE ? { openDeadLetters: state.view.openDeadLetters } : {}),
      };
    }

    const summary = FINAL_STEP.summary();
    const { final, local, localSteps } = saga.act;
    const remote = (args: { orderId: string; correlationId: string }) =>
      final.completeOrder.executeWithOptions({ summary }, [args]);
    await runStep(saga, FINAL_STEP.step, FINAL_STEP.service, saga.ctx, (args) =>
      localSteps.includes(FINAL_STEP.step)
        ? runLocally(
            FINAL_STEP.step,
            () => local.completeOrder.executeWithOptions({ summary }, [args]),
            () => remote(args),
          )
        : remote(args),
    );
    state.setStatus(statusAfter(FINAL_STEP.reaches));
    state.view.currentStep = null;
    await condition(allHandlersFinished);
    return { orderId, status: ORDER_STATUS.COMPLETED, failureReason: null };
  });
}

/** The step table, in order: each step with its compensation pushed first, and the approval's wait after its step. */
async function forwardSteps(saga: Saga): Promise<void> {
  const { state, act, input } = saga;
  for (const row of SAGA_STEPS) {
    // One row of the workflow's table, whatever its step: the compiler checked each row against its activity.
    const call = STEP_CALLS[row.step] as unknown as {
      args: (s: Saga) => object;
      undo: (s: Saga) => object;
      done?: (s: Saga, result: unknown) => void;
    };
    const activity = act.forward[row.service][row.step] as unknown as {
      executeWithOptions(options: { summary: string }, args: [object]): Promise<unknown>;
    };
    const attempt = async () => {
      // Stops before the step once a cancel was accepted, so only steps that were attempted get undone.
      if (row.checkpoint && saga.forward.consideredCancelled) throw new CancelledFailure('cancelled');
      saga.undo.push(
        compensation(
          row.compensation,
          row.service,
          act.undo[row.compensation] as (args: object) => Promise<unknown>,
          () => call.undo(saga),
        ),
      );
      const summary = row.summary({ items: input.items, accountId: input.accountId, total: state.view.total });
      const step = row.step as LocalStep;
      const local = act.localSteps.includes(step) ? act.local[step] : undefined;
      return runStep(saga, row.step, row.service, call.args(saga), (args) =>
        local
          ? runLocally(step, () => (local as typeof activity).executeWithOptions({ summary }, [args]))
          : activity.executeWithOptions({ summary }, [args]),
      );
    };
    const result = await (row.addressLock ? saga.addressLock.runExclusive(attempt) : attempt());
    call.done?.(saga, result);
    if (row.reaches) state.setStatus(statusAfter(row.reaches));
    if (row.step === APPROVAL.after && state.priced?.requiresApproval) await awaitApproval(saga);
  }
}
