import { proxyActivities } from '@temporalio/workflow';
import type { DeadLetterActivities } from '../activities/dead-letters';
import type { InventoryActivities } from '../activities/inventory';
import type { OrderActivities } from '../activities/order';
import type { PaymentActivities } from '../activities/payment';
import type { ShippingActivities } from '../activities/shipping';
import type { CompensationStep } from './types';

type Compensations = Pick<OrderActivities, 'cancelOrder'> & Pick<PaymentActivities, 'refundPayment'> & Pick<InventoryActivities, 'releaseItems'> & Pick<ShippingActivities, 'cancelShipment'>;

const compensations = proxyActivities<Compensations>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
const deadLetters = proxyActivities<DeadLetterActivities>({ startToCloseTimeout: '10 seconds' });

/**
 * Runs a compensation that had become a dead letter again, with the arguments it was first called
 * with (every compensation is idempotent, so a repeat is harmless), and records the outcome on the
 * dead letter: `redriven`, or back to `open` with the new error.
 */
export async function redriveCompensation(deadLetterId: string, step: CompensationStep, args: object): Promise<'redriven' | 'open'> {
  try {
    await compensations[step](args as never);
  } catch (err) {
    await deadLetters.resolveDeadLetter(deadLetterId, 'open', err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));
    return 'open';
  }
  await deadLetters.resolveDeadLetter(deadLetterId, 'redriven');
  return 'redriven';
}
