import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/order';
import type { PaymentActivities } from '../../activities/payment';
import type { InventoryActivities } from '../../activities/inventory';
import type { ShippingActivities } from '../../activities/shipping';
import type { DeadLetterActivities } from '../../activities/dead-letters';
import { approveSignal, rejectSignal, statusQuery, updateShippingAddressUpdate } from '../definitions';
import { ORDER_REJECTION_RECORDED } from '../patches';
import { activityOptions } from '../policies';
import { OrderStatusKey } from '../../infra/search-attribute-keys';
import { BUSINESS_FAILURES, type CompensationStep, type OrderSagaInput, type OrderSagaResult, type SagaStatus, type SagaStep } from '../../domain/orders/saga';
import type { ServiceName } from '../../domain/orders/saga-settings';
import type { ShippingAddress } from '../../domain/orders/contract';

interface Compensation {
  step: CompensationStep;
  service: ServiceName;
  /** The compensation activity's argument, computed when it runs (kept in its dead letter for a redrive). */
  args: () => object;
  run: (args: never) => Promise<unknown>;
}

/**
 * FROZEN: the saga as it ran before the point of no return (see ../order-saga.ts). Sagas whose
 * history lacks that change's marker replay this code, so it must never change; new behaviour goes
 * in ../order-saga.ts. Tests also run the fault matrix against it to show the holes it had.
 *
 * The order saga, workflow id `order-<orderId>`:
 *   createOrder -> [approval] -> processPayment -> reserveItems -> scheduleShipment -> completeOrder
 * On a business failure, exhausted retries, a rejection or a cancellation, what was done is undone
 * in reverse order. Each compensation is registered before its step runs, because a step that
 * timed out may still have taken effect; every compensation is idempotent and harmless when its
 * step never happened.
 */
export async function orderSagaV1(input: OrderSagaInput): Promise<OrderSagaResult> {
  const { orderId, correlationId, settings } = input;
  const forward = <T extends object>(service: ServiceName) => proxyActivities<T>(activityOptions(settings.policies[service]));
  const undo = <T extends object>() => proxyActivities<T>(activityOptions(settings.compensationPolicy));
  const order = forward<OrderActivities>('order');
  const payment = forward<PaymentActivities>('payment');
  const inventory = forward<InventoryActivities>('inventory');
  const shipping = forward<ShippingActivities>('shipping');
  const orderUndo = undo<OrderActivities>();
  const paymentUndo = undo<PaymentActivities>();
  const inventoryUndo = undo<InventoryActivities>();
  const shippingUndo = undo<ShippingActivities>();
  const deadLetters = undo<DeadLetterActivities>();

  const state: SagaStatus = {
    orderId,
    status: 'PENDING',
    currentStep: null,
    stepsDone: [],
    compensationsDone: [],
    compensationsFailed: [],
    awaitingApproval: false,
    failureReason: null,
    total: null,
    shippingAddress: input.shippingAddress,
  };
  /** Every status change is also the OrderStatus search attribute, for filtering in the Web UI. */
  const setStatus = (status: SagaStatus['status']) => {
    state.status = status;
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
  };
  let decision: { approved: boolean; by?: string; reason?: string } | undefined;
  let addressUpdatesInFlight = 0;
  const ctx = { orderId, correlationId };

  setHandler(statusQuery, () => state);
  setHandler(approveSignal, () => {
    if (state.awaitingApproval && !decision) decision = { approved: true };
  });
  setHandler(rejectSignal, (args) => {
    if (state.awaitingApproval && !decision) decision = { approved: false, by: args?.by, reason: args?.reason };
  });
  setHandler(
    updateShippingAddressUpdate,
    async (address) => {
      addressUpdatesInFlight += 1;
      try {
        await order.changeShippingAddress({ ...ctx, address });
        state.shippingAddress = address;
        return state;
      } finally {
        addressUpdatesInFlight -= 1;
      }
    },
    {
      validator: (_address: ShippingAddress) => {
        if (!addressChangeAllowed(state)) {
          throw new Error(`The shipping address can no longer change: the order is ${state.status}`);
        }
      },
    },
  );

  const compensations: Compensation[] = [];
  const step = async <T>(name: SagaStep, run: () => Promise<T>): Promise<T> => {
    state.currentStep = name;
    const result = await run();
    state.stepsDone.push(name);
    return result;
  };

  try {
    compensations.unshift({ step: 'cancelOrder', service: 'order', args: () => ({ ...ctx, reason: state.failureReason ?? 'cancelled' }), run: orderUndo.cancelOrder });
    const created = await step('createOrder', () => order.createOrder(input));
    state.total = created.total;
    upsertMemo({ total: created.total, items: created.items.length });

    if (created.requiresApproval) {
      state.awaitingApproval = true;
      setStatus('AWAITING_APPROVAL');
      state.currentStep = 'awaitApproval';
      const decided = await condition(() => decision !== undefined, settings.approvalTimeoutMs);
      state.awaitingApproval = false;
      if (!decided) throw ApplicationFailure.nonRetryable('approval timed out', 'ApprovalTimedOut');
      if (!decision!.approved) {
        // Sagas rejected before this step existed compensated straight away; patched() lets their
        // histories replay that way while new sagas record the rejection first.
        if (patched(ORDER_REJECTION_RECORDED)) await order.recordRejection({ ...ctx, by: decision!.by, reason: decision!.reason });
        throw ApplicationFailure.nonRetryable(`rejected${decision!.reason ? `: ${decision!.reason}` : ''}`, 'ApprovalRejected');
      }
      await order.recordApproval(ctx);
      state.stepsDone.push('awaitApproval');
      setStatus('PENDING');
    }

    compensations.unshift({ step: 'refundPayment', service: 'payment', args: () => ({ ...ctx, accountId: input.accountId }), run: paymentUndo.refundPayment });
    await step('processPayment', () => payment.processPayment({ ...ctx, accountId: input.accountId, amount: created.total }));
    setStatus('PAYMENT_COMPLETED');

    compensations.unshift({ step: 'releaseItems', service: 'inventory', args: () => ({ ...ctx, items: input.items }), run: inventoryUndo.releaseItems });
    await step('reserveItems', () => inventory.reserveItems({ ...ctx, items: input.items }));
    setStatus('ITEMS_RESERVED');

    // An address change in flight must land before the shipment is booked with the address.
    await condition(() => addressUpdatesInFlight === 0);
    compensations.unshift({ step: 'cancelShipment', service: 'shipping', args: () => ctx, run: shippingUndo.cancelShipment });
    state.currentStep = 'scheduleShipment';
    await step('scheduleShipment', () => shipping.scheduleShipment({ ...ctx, address: state.shippingAddress }));
    setStatus('SHIPMENT_SCHEDULED');

    await step('completeOrder', () => order.completeOrder(ctx));
    setStatus('COMPLETED');
    state.currentStep = null;
    await condition(allHandlersFinished);
    return { orderId, status: 'COMPLETED', failureReason: null };
  } catch (err) {
    // A cancel request can surface as the step's own failure (say, a timeout while the workflow
    // waited for the cancelled step to finish), so the scope's state decides, not the error type.
    const cancelled = isCancellation(err) || CancellationScope.current().consideredCancelled;
    state.failureReason = cancelled ? 'cancelled' : describeFailure(err);
    state.awaitingApproval = false;
    // Compensations must run to the end even when the saga itself was cancelled.
    await CancellationScope.nonCancellable(async () => {
      if (!cancelled && isExhaustedTechnicalFailure(err)) {
        await deadLetters.recordDeadLetter({
          source: 'saga',
          kind: 'step',
          service: serviceOf(state.currentStep),
          step: String(state.currentStep),
          orderId,
          correlationId,
          input: stepInput(state.currentStep, input, state),
          error: state.failureReason!,
          attempts: settings.policies[serviceOf(state.currentStep)].maximumAttempts,
          workflowId: workflowInfo().workflowId,
          runId: workflowInfo().runId,
        });
      }
      setStatus('COMPENSATING');
      await orderUndo.markCompensating({ ...ctx, reason: state.failureReason! });
      for (const compensation of compensations) {
        state.currentStep = compensation.step;
        const args = compensation.args();
        try {
          await compensation.run(args as never);
          state.compensationsDone.push(compensation.step);
        } catch (compensationError) {
          // Retries are exhausted: never drop it silently; park it where an operator will see it.
          state.compensationsFailed.push(compensation.step);
          await deadLetters.recordDeadLetter({
            source: 'saga',
            kind: 'compensation',
            service: compensation.service,
            step: compensation.step,
            orderId,
            correlationId,
            // Exactly what the compensation was called with, so an operator can redrive it.
            input: args,
            error: describeFailure(compensationError),
            attempts: settings.compensationPolicy.maximumAttempts,
            workflowId: workflowInfo().workflowId,
            runId: workflowInfo().runId,
          });
        }
      }
      setStatus('CANCELLED');
      state.currentStep = null;
    });
    await condition(allHandlersFinished);
    if (cancelled) throw err;
    return { orderId, status: 'CANCELLED', failureReason: state.failureReason };
  }
}

function addressChangeAllowed(state: SagaStatus): boolean {
  const closed = ['SHIPMENT_SCHEDULED', 'COMPLETED', 'COMPENSATING', 'CANCELLED'];
  return !closed.includes(state.status) && state.currentStep !== 'scheduleShipment' && !state.stepsDone.includes('scheduleShipment');
}

/** The innermost message: "insufficient funds: balance 500, needed 900" rather than "Activity task failed". */
function describeFailure(err: unknown): string {
  let current: unknown = err;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** A technical failure whose retries ran out (or timed out): that is what becomes a dead letter. */
function isExhaustedTechnicalFailure(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && (BUSINESS_FAILURES as readonly string[]).includes(cause.type ?? '')) return false;
  if (cause instanceof ApplicationFailure && cause.nonRetryable) return false;
  return true;
}

function serviceOf(step: SagaStatus['currentStep']): ServiceName {
  switch (step) {
    case 'processPayment':
    case 'refundPayment':
      return 'payment';
    case 'reserveItems':
    case 'releaseItems':
      return 'inventory';
    case 'scheduleShipment':
    case 'cancelShipment':
      return 'shipping';
    default:
      return 'order';
  }
}

function stepInput(step: SagaStatus['currentStep'], input: OrderSagaInput, state: SagaStatus): unknown {
  switch (step) {
    case 'processPayment':
      return { orderId: input.orderId, accountId: input.accountId, amount: state.total };
    case 'reserveItems':
      return { orderId: input.orderId, items: input.items };
    case 'scheduleShipment':
      return { orderId: input.orderId, address: state.shippingAddress };
    default:
      return { orderId: input.orderId, customerId: input.customerId, items: input.items };
  }
}
