import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ShippingAddress } from '../../domain/orders/contract';
import type { OrderFacts } from '../../domain/orders/saga';
import { DEFAULT_STEP_POLICIES, policyOf, type ServiceName, type StepPolicy } from '../../domain/orders/saga-settings';
import type { SettleOrderResult } from '../../domain/orders/settlement';
import { parseShippingAddress } from '../../domain/orders/shipping-address';
import { FINAL_STEP, stepRow, type ForwardStep } from '../../domain/orders/steps';
import { activityOptions } from '../policies';
import type { StepActivities } from '../saga/activities';
import { describeFailure } from '../saga/failures';
import { compensateOrder } from './compensate';
import { nothing, untilDone, type Settlement } from './context';

/** A service's step policy: the saga's settings the sweeper passed, else the defaults. */
export const stepPolicy = (s: Settlement, service: ServiceName): StepPolicy =>
  s.input.settings ? policyOf(s.input.settings, service) : DEFAULT_STEP_POLICIES[service];

const isRefusal = (err: unknown): boolean =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable === true;

/**
 * Finishes a held order forward after an operator's `retry` or `correct`: the steps its services'
 * events show still to run, each with the saga's own activity and argument (the event ids follow
 * from the order, so a step that landed meanwhile records nothing twice), then completeOrder.
 * A step that fails (a business refusal, or its retries run out) compensates the order instead,
 * as the saga would; so does a completion the order refuses (it was undone meanwhile).
 */
export async function finishForward(
  s: Settlement,
  facts: OrderFacts,
  plan: {
    remaining: readonly ForwardStep[];
    total: number | null;
    address: ShippingAddress;
    correctedAddress?: unknown;
    repair: NonNullable<SettleOrderResult['repair']>;
  },
): Promise<SettleOrderResult> {
  const { orderId, ctx, own } = s;
  const proxy = (service: ServiceName, policy = stepPolicy(s, service)) =>
    proxyActivities<StepActivities>(activityOptions(policy));
  const extra = { repair: plan.repair };
  let address = plan.address;
  try {
    if (plan.correctedAddress !== undefined) {
      address = parseShippingAddress(plan.correctedAddress);
      await proxy('order').changeShippingAddress({ ...ctx, address });
    }
    for (const step of plan.remaining) {
      const act = proxy(stepRow(step).service);
      if (step === 'processPayment')
        await act.processPayment({ ...ctx, accountId: facts.accountId, amount: plan.total ?? 0 });
      else if (step === 'reserveItems') await act.reserveItems({ ...ctx, items: facts.items });
      else if (step === 'scheduleShipment') await act.scheduleShipment({ ...ctx, address });
    }
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return compensateOrder(s, facts, describeFailure(err), extra);
  }
  try {
    // Past the point of no return: retried until the order service answers.
    await proxy(FINAL_STEP.service, untilDone(stepPolicy(s, FINAL_STEP.service))).completeOrder(ctx);
  } catch (err) {
    if (!isRefusal(err)) throw err;
    return compensateOrder(s, facts, describeFailure(err), extra);
  }
  const after = await own.orderStanding({ orderId });
  return s.finish({ orderId, outcome: 'completed', status: after.status, ...nothing(), ...extra });
}
