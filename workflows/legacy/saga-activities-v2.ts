import { proxyActivities } from '@temporalio/workflow';
import type { DeadLetterActivities } from '../../activities/dead-letters';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/order';
import type { PaymentActivities } from '../../activities/payment';
import type { ShippingActivities } from '../../activities/shipping';
import { activityOptions } from '../policies';
import type { SagaSettings, StepPolicy } from '../../domain/orders/saga-settings';

/** Retried until it succeeds: Temporal's `maximumAttempts: 0`. */
const untilDone = (policy: StepPolicy): StepPolicy => ({ ...policy, maximumAttempts: 0 });

/**
 * The saga's activities, grouped by the retry budget each call gets:
 * - forward steps: their service's policy, then the saga compensates;
 * - `undo`: the compensation policy, then a dead letter;
 * - `final`: completeOrder, past the point of no return, so retried until the order service answers;
 * - `bookkeeping`: dead letters, the last resort, so retried until the store answers.
 */
export function sagaActivities(settings: SagaSettings) {
  const forward = <T extends object>(policy: StepPolicy, summary?: string) => proxyActivities<T>({ ...activityOptions(policy), ...(summary && { summary }) });
  return {
    order: forward<OrderActivities>(settings.policies.order),
    payment: forward<PaymentActivities>(settings.policies.payment),
    inventory: forward<InventoryActivities>(settings.policies.inventory),
    shipping: forward<ShippingActivities>(settings.policies.shipping),
    /** The same forward steps, each call with a one-line summary the Web UI shows for it. */
    described: {
      order: (summary: string) => forward<OrderActivities>(settings.policies.order, summary),
      payment: (summary: string) => forward<PaymentActivities>(settings.policies.payment, summary),
      inventory: (summary: string) => forward<InventoryActivities>(settings.policies.inventory, summary),
      shipping: (summary: string) => forward<ShippingActivities>(settings.policies.shipping, summary),
      final: (summary: string) => forward<Pick<OrderActivities, 'completeOrder'>>(untilDone(settings.policies.order), summary),
    },
    undo: forward<Pick<OrderActivities, 'markCompensating' | 'cancelOrder'> & Pick<PaymentActivities, 'refundPayment'> & Pick<InventoryActivities, 'releaseItems'> & Pick<ShippingActivities, 'cancelShipment'>>(
      settings.compensationPolicy,
    ),
    final: forward<Pick<OrderActivities, 'completeOrder'>>(untilDone(settings.policies.order)),
    bookkeeping: forward<DeadLetterActivities>(untilDone(settings.compensationPolicy)),
  };
}
