import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { parseShippingAddress } from '../../domain/orders/shipping-address';
import { ADDRESS_CHANGEABLE_STATUSES, CANCELLABLE_STATUSES, INITIAL_STATUS, ORDER_STATUS, PASSING_STATUSES, statusAfter } from '../../domain/orders/status';
import { currentDetails } from '../story';
import { stepSummaries } from './story-v2';
import { approveSignal, cancelUpdate, placedUpdate, placementQuery, rejectSignal, statusQuery, updateShippingAddressUpdate } from '../definitions';
import { STATUS_ATTRIBUTE_AT_MILESTONES } from '../patches';
import { sagaActivities } from './saga-activities-v2';
import { CompensationStack, compensation } from '../saga/compensation-stack';
import { attemptsMade, describeFailure, isExhaustedTechnicalFailure, isSagaOutcome } from '../saga/failures';
import { OrderStatusKey } from '../../infra/search-attribute-keys';
import type { OrderFacts, OrderPlaced, OrderSagaInput, OrderSagaResult, SagaStatus, SagaStep } from '../../domain/orders/saga';
import type { OrderStatus, PricedItem } from '../../domain/orders/contract';
import type { ServiceName } from '../../domain/orders/saga-settings';

/**
 * The saga as it ran from the point of no return until its steps became one table: frozen, so
 * sagas started on it (no `saga-step-table` marker) replay exactly as they ran. Never edit its
 * body; a change to the saga goes into workflows/order-saga.ts behind a new patch id.
 */
export async function orderSagaV2(input: OrderSagaInput): Promise<OrderSagaResult> {
  return runOrderSaga(input);
}

interface RunningStep {
  name: SagaStep;
  service: ServiceName;
  args: unknown;
}

async function runOrderSaga(input: OrderSagaInput): Promise<OrderSagaResult> {
  const { orderId, correlationId, settings } = input;
  const ctx = { orderId, correlationId };
  const act = sagaActivities(settings);
  const facts: OrderFacts = { customerId: input.customerId, customer: input.customer, accountId: input.accountId, items: input.items, shippingAddress: input.shippingAddress };

  const state: SagaStatus = {
    orderId,
    status: INITIAL_STATUS,
    currentStep: null,
    stepsDone: [],
    compensationsDone: [],
    compensationsFailed: [],
    awaitingApproval: false,
    failureReason: null,
    total: null,
    shippingAddress: input.shippingAddress,
    cancelRequested: false,
    pastPointOfNoReturn: false,
    cancelsIgnored: 0,
    openDeadLetters: [],
  };
  /**
   * Every status is in the status query and the current details at once; the OrderStatus search
   * attribute, for filtering in the Web UI, follows the statuses operators search for (see
   * STATUS_ATTRIBUTE_AT_MILESTONES). Sagas started before that change replay writing every one.
   */
  const setStatus = (status: OrderStatus) => {
    state.status = status;
    if (!PASSING_STATUSES.includes(status) || !patched(STATUS_ATTRIBUTE_AT_MILESTONES)) upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    tell();
  };
  /** The Web UI's current details follow the status and the step (no command: nothing to replay). */
  const tell = () => setCurrentDetails(currentDetails(state.status, state.currentStep, state.total));

  // The forward steps run in their own scope, shielded from the workflow's root scope: only
  // requestCancel() cancels it, so a cancel is a decision taken here, not a side effect of timing.
  const shield = new CancellationScope({ cancellable: false });
  const forward = new CancellationScope({ cancellable: true, parent: shield });
  let cancelReason = 'cancelled';
  let cancelledByWorkflowCancel = false;
  /** Accepts a cancel unless the saga is past its point of no return or already undoing itself. */
  const requestCancel = (reason: string): boolean => {
    if (!cancellable(state)) return false;
    state.cancelRequested = true;
    cancelReason = reason;
    forward.cancel();
    return true;
  };
  // A raw cancel (`temporal workflow cancel`, the Web UI) is a request like any other.
  CancellationScope.current().cancelRequested.catch(() => {
    if (requestCancel('cancelled')) {
      cancelledByWorkflowCancel = true;
      return;
    }
    state.cancelsIgnored = (state.cancelsIgnored ?? 0) + 1;
    upsertMemo({ cancelsIgnored: state.cancelsIgnored });
    log.info('workflow cancel ignored: the saga is past its point of no return or already compensating', { orderId, status: state.status });
  });

  let decision: { approved: boolean; by?: string; reason?: string } | undefined;
  // Address changes and the shipment booking take turns: the last accepted change is the one
  // shipped, and a change queued behind the booking finds it booked and is refused.
  const addressLock = new Mutex();

  // What the first step decided (prices, approval), for the `placed` Update; set once.
  let priced: { items: PricedItem[]; total: number; requiresApproval: boolean } | undefined;
  let forwardEnded = false;

  setHandler(statusQuery, () => state);
  // Registering a handler writes nothing to the history, so sagas started without this Update
  // (recorded histories, `temporal workflow start`) replay and run unchanged: no patch is needed.
  const placement = (): OrderPlaced => ({
    orderId,
    workflowId: workflowInfo().workflowId,
    status: state.status,
    total: priced?.total ?? null,
    items: priced?.items ?? input.items.map((i) => ({ ...i, unitPrice: null })),
    requiresApproval: priced?.requiresApproval ?? false,
  });
  setHandler(placedUpdate, async (): Promise<OrderPlaced> => {
    await condition(() => priced !== undefined || forwardEnded);
    return placement();
  });
  setHandler(placementQuery, placement);
  setHandler(approveSignal, () => {
    if (state.awaitingApproval && !decision) decision = { approved: true };
  });
  setHandler(rejectSignal, (args) => {
    if (state.awaitingApproval && !decision) decision = { approved: false, by: args?.by, reason: args?.reason };
  });
  setHandler(
    cancelUpdate,
    (request: { reason?: string; by?: string } | undefined) => {
      requestCancel(request?.reason ? `cancelled: ${request.reason}` : 'cancelled');
      return { orderId, accepted: 'cancel' as const, status: state.status };
    },
    {
      // The argument is optional in practice: `temporal workflow update execute --name cancel` may send none.
      validator: (request: { reason?: string; by?: string } | undefined) => {
        if (request !== undefined && request !== null && (typeof request !== 'object' || (request.reason !== undefined && typeof request.reason !== 'string'))) {
          throw new Error('A cancel request is { reason?: string, by?: string }');
        }
        if (!cancellable(state)) throw new Error(refusalOf(state));
      },
    },
  );
  setHandler(
    updateShippingAddressUpdate,
    (address) =>
      addressLock.runExclusive(async () => {
        // Accepted earlier, but queued behind the booking: the address is settled now.
        if (!addressChangeAllowed(state)) throw ApplicationFailure.nonRetryable(addressRefusal(state), 'AddressChangeRefused');
        const valid = parseShippingAddress(address);
        await act.order.changeShippingAddress({ ...ctx, address: valid });
        state.shippingAddress = valid;
        return state;
      }),
    {
      validator: (address) => {
        parseShippingAddress(address);
        if (!addressChangeAllowed(state)) throw new Error(addressRefusal(state));
      },
    },
  );

  const undo = new CompensationStack();
  let running: RunningStep | undefined;
  /** Runs one forward step, remembering exactly the arguments it used (a dead letter keeps them). */
  const runStep = async <A, R>(name: SagaStep, service: ServiceName, args: A, run: (args: A) => Promise<R>): Promise<R> => {
    state.currentStep = name;
    tell();
    running = { name, service, args };
    const result = await run(args);
    state.stepsDone.push(name);
    return result;
  };

  /** Stops before the next step once a cancel was accepted, so only steps that were attempted get undone. */
  const checkpoint = () => {
    if (forward.consideredCancelled) throw new CancelledFailure('cancelled');
  };
  const forwardSteps = async () => {
    undo.push(compensation('cancelOrder', 'order', act.undo.cancelOrder, () => ({ ...ctx, reason: state.failureReason ?? 'cancelled', order: facts, openCompensations: [...state.compensationsFailed] })));
    // Address changes queue behind the order's creation: its stream must begin with OrderCreated.
    const created = await addressLock.runExclusive(() => runStep('createOrder', 'order', input, act.described.order(stepSummaries.createOrder(input.items)).createOrder));
    state.total = created.total;
    upsertMemo({ total: created.total, items: created.items.length });
    priced = { items: created.items, total: created.total, requiresApproval: created.requiresApproval };

    if (created.requiresApproval) {
      state.awaitingApproval = true;
      setStatus(statusAfter('OrderCreated', { requiresApproval: true }));
      state.currentStep = 'awaitApproval';
      tell();
      const decided = await condition(() => decision !== undefined, settings.approvalTimeoutMs, { summary: stepSummaries.approval(settings.approvalTimeoutMs) });
      state.awaitingApproval = false;
      if (!decided) throw ApplicationFailure.nonRetryable('approval timed out', 'ApprovalTimedOut');
      if (!decision!.approved) {
        await act.order.recordRejection({ ...ctx, by: decision!.by, reason: decision!.reason });
        throw ApplicationFailure.nonRetryable(`rejected${decision!.reason ? `: ${decision!.reason}` : ''}`, 'ApprovalRejected');
      }
      await act.order.recordApproval(ctx);
      state.stepsDone.push('awaitApproval');
      setStatus(statusAfter('OrderApproved'));
    }

    checkpoint();
    undo.push(compensation('refundPayment', 'payment', act.undo.refundPayment, () => ({ ...ctx, accountId: input.accountId })));
    await runStep('processPayment', 'payment', { ...ctx, accountId: input.accountId, amount: created.total }, act.described.payment(stepSummaries.processPayment(created.total, input.accountId)).processPayment);
    setStatus(statusAfter('PaymentCompleted'));

    checkpoint();
    undo.push(compensation('releaseItems', 'inventory', act.undo.releaseItems, () => ({ ...ctx, items: input.items })));
    await runStep('reserveItems', 'inventory', { ...ctx, items: input.items }, act.described.inventory(stepSummaries.reserveItems(input.items)).reserveItems);
    setStatus(statusAfter('ItemsReserved'));

    await addressLock.runExclusive(async () => {
      checkpoint();
      undo.push(compensation('cancelShipment', 'shipping', act.undo.cancelShipment, () => ctx));
      await runStep('scheduleShipment', 'shipping', { ...ctx, address: state.shippingAddress }, act.described.shipping(stepSummaries.scheduleShipment()).scheduleShipment);
    });
    setStatus(statusAfter('ShipmentScheduled'));
  };

  return shield.run(async () => {
    try {
      await forward.run(forwardSteps);
      // A cancel accepted while the last forward step ran (it finished anyway) still wins: this check
      // and crossing the point of no return happen in one synchronous step, so nothing slips between.
      if (state.cancelRequested) throw new CancelledFailure('cancelled before the order completed');
      state.pastPointOfNoReturn = true;
    } catch (err) {
      forwardEnded = true;
      const cancelled = state.cancelRequested === true;
      if (!cancelled && !isSagaOutcome(err)) throw err;
      await compensate(err, cancelled);
      await condition(allHandlersFinished);
      if (cancelledByWorkflowCancel) throw new CancelledFailure(state.failureReason ?? 'cancelled');
      const status = state.status as OrderSagaResult['status'];
      return { orderId, status, failureReason: state.failureReason, ...(status === ORDER_STATUS.COMPENSATION_INCOMPLETE ? { openDeadLetters: state.openDeadLetters } : {}) };
    }

    await runStep('completeOrder', 'order', ctx, act.described.final(stepSummaries.completeOrder()).completeOrder);
    setStatus(statusAfter('OrderCompleted'));
    state.currentStep = null;
    await condition(allHandlersFinished);
    return { orderId, status: ORDER_STATUS.COMPLETED, failureReason: null };
  });

  /** Undoes what was done, newest first; what cannot be undone becomes a dead letter. */
  async function compensate(err: unknown, cancelled: boolean): Promise<void> {
    state.failureReason = cancelled ? cancelReason : describeFailure(err);
    state.awaitingApproval = false;
    const failedStep = running;
    setStatus(statusAfter('OrderCompensating'));
    if (!cancelled && failedStep && isExhaustedTechnicalFailure(err)) {
      await park('step', failedStep.service, failedStep.name, failedStep.args, err, settings.policies[failedStep.service].maximumAttempts);
    }
    // The status marker must not hold up the refund when the order service is down: it runs
    // alongside the other compensations and is awaited only before the order's own.
    const marking = act.undo.markCompensating({ ...ctx, reason: state.failureReason, order: facts }).then(
      () => true,
      (markErr: unknown) => {
        log.warn('could not mark the order compensating; the cancellation will still record it', { orderId, error: describeFailure(markErr) });
        return false;
      },
    );
    for (const entry of undo.inUndoOrder()) {
      if (entry.service === 'order') await marking;
      state.currentStep = entry.step;
      const args = entry.args();
      try {
        await entry.run(args);
        state.compensationsDone.push(entry.step);
      } catch (compensationError) {
        if (!(compensationError instanceof ActivityFailure)) throw compensationError;
        // Retries are exhausted: never drop it silently; park it where an operator will see it.
        state.compensationsFailed.push(entry.step);
        await park('compensation', entry.service, entry.step, args, compensationError, settings.compensationPolicy.maximumAttempts);
      }
    }
    await marking;
    setStatus(statusAfter('OrderCancelled', { openCompensations: state.compensationsFailed.length > 0 }));
    state.currentStep = null;
  }

  async function park(kind: 'step' | 'compensation', service: ServiceName, step: string, args: unknown, err: unknown, maximumAttempts: number): Promise<void> {
    const id = await act.bookkeeping.recordDeadLetter({
      source: 'saga',
      kind,
      service,
      step,
      orderId,
      correlationId,
      // Exactly what the activity was called with, so an operator can redrive it.
      input: args,
      error: describeFailure(err),
      ...attemptsMade(err, maximumAttempts),
      workflowId: workflowInfo().workflowId,
      runId: workflowInfo().runId,
    });
    if (kind === 'compensation') state.openDeadLetters!.push(id);
  }
}

function cancellable(state: SagaStatus): boolean {
  return !state.pastPointOfNoReturn && !state.cancelRequested && CANCELLABLE_STATUSES.includes(state.status);
}

function refusalOf(state: SagaStatus): string {
  if (state.pastPointOfNoReturn || state.status === ORDER_STATUS.COMPLETED) return `Order ${state.orderId} is past the point of no return: it is completing and can no longer be cancelled`;
  return `Order ${state.orderId} is already being cancelled (status ${state.status})`;
}

function addressChangeAllowed(state: SagaStatus): boolean {
  return ADDRESS_CHANGEABLE_STATUSES.includes(state.status) && !state.cancelRequested && state.currentStep !== 'scheduleShipment' && !state.stepsDone.includes('scheduleShipment');
}

function addressRefusal(state: SagaStatus): string {
  return `The shipping address can no longer change: the order is ${state.cancelRequested ? 'being cancelled' : state.status}${state.currentStep === 'scheduleShipment' ? ' and its shipment is being booked' : ''}`;
}
