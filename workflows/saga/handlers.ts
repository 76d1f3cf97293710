import {
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Mutex } from 'async-mutex';
import { parseShippingAddress } from '../../domain/orders/shipping-address';
import {
  approveSignal,
  cancelUpdate,
  placedUpdate,
  placementQuery,
  rejectSignal,
  statusQuery,
  updateShippingAddressUpdate,
} from '../definitions';
import type { OrderPlaced } from '../../domain/orders/saga';
import type { SagaActivities } from './activities';
import type { SagaState } from './state';
import { installRepairHandler } from './repair';

/** What the handlers act on: the saga's state, its forward scope, its activities and the address lock. */
export interface SagaHandles {
  readonly state: SagaState;
  readonly ctx: { orderId: string; correlationId: string };
  readonly act: SagaActivities;
  /** Address changes and the steps that take turns with them (the order's creation, the booking). */
  readonly addressLock: Mutex;
  /** The forward steps' scope: only an accepted cancel cancels it. */
  readonly forward: CancellationScope;
}

/** Accepts a cancel unless the saga is past its point of no return or already undoing itself. */
function requestCancel({ state, forward }: SagaHandles, reason: string): boolean {
  if (!state.cancellable) return false;
  state.view.cancelRequested = true;
  state.cancelReason = reason;
  forward.cancel();
  return true;
}

/**
 * The saga's messages: the status and placement queries, the `placed` Update, the approval
 * signals, the address and cancel Updates, and a raw workflow cancel. Registering a handler writes
 * nothing to the history, so sagas started without one of them replay unchanged. Called in the
 * workflow's root scope, before the steps start.
 */
export function installHandlers(h: SagaHandles): void {
  const { state, ctx, act, addressLock } = h;
  // A raw cancel (`temporal workflow cancel`, the Web UI) is a request like any other.
  CancellationScope.current().cancelRequested.catch(() => {
    if (requestCancel(h, 'cancelled')) {
      state.cancelledByWorkflowCancel = true;
      return;
    }
    state.view.cancelsIgnored = (state.view.cancelsIgnored ?? 0) + 1;
    upsertMemo({ cancelsIgnored: state.view.cancelsIgnored });
    log.info('workflow cancel ignored: the saga is past its point of no return or already compensating', {
      orderId: ctx.orderId,
      status: state.view.status,
    });
  });

  setHandler(statusQuery, () => state.view);
  installRepairHandler(h);
  setHandler(placedUpdate, async (): Promise<OrderPlaced> => {
    await condition(() => state.priced !== undefined || state.forwardEnded);
    return state.placement(workflowInfo().workflowId);
  });
  setHandler(placementQuery, () => state.placement(workflowInfo().workflowId));
  setHandler(approveSignal, () => {
    if (state.view.awaitingApproval && !state.decision) state.decision = { approved: true };
  });
  setHandler(rejectSignal, (args) => {
    if (state.view.awaitingApproval && !state.decision)
      state.decision = { approved: false, by: args?.by, reason: args?.reason };
  });
  setHandler(
    cancelUpdate,
    (request: { reason?: string; by?: string } | undefined) => {
      requestCancel(h, request?.reason ? `cancelled: ${request.reason}` : 'cancelled');
      return { orderId: ctx.orderId, accepted: 'cancel' as const, status: state.view.status };
    },
    {
      // The argument is optional in practice: `temporal workflow update execute --name cancel` may send none.
      validator: (request: { reason?: string; by?: string } | undefined) => {
        if (
          request !== undefined &&
          request !== null &&
          (typeof request !== 'object' || (request.reason !== undefined && typeof request.reason !== 'string'))
        ) {
          throw new Error('A cancel request is { reason?: string, by?: string }');
        }
        if (!state.cancellable) throw new Error(state.refusal);
      },
    },
  );
  setHandler(
    updateShippingAddressUpdate,
    (address) =>
      addressLock.runExclusive(async () => {
        // Accepted earlier, but queued behind the booking: the address is settled now.
        if (!state.addressChangeAllowed)
          throw ApplicationFailure.nonRetryable(state.addressRefusal, 'AddressChangeRefused');
        const valid = parseShippingAddress(address);
        await act.forward.order.changeShippingAddress({ ...ctx, address: valid });
        state.view.shippingAddress = valid;
        return state.view;
      }),
    {
      validator: (address) => {
        parseShippingAddress(address);
        if (!state.addressChangeAllowed) throw new Error(state.addressRefusal);
      },
    },
  );
}
