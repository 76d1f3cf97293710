import { duration, money, plural, short } from '../domain/orders/format';
import type { OrderSagaInput } from '../domain/orders/saga';
import { APPROVAL, FINAL_STEP, SAGA_STEPS, type ForwardStep, type StepFacts } from '../domain/orders/steps';

/**
 * How a saga tells its story in the Temporal Web UI (user metadata): a one-line summary per saga,
 * Markdown details, a summary per activity and timer, and current details that follow the status.
 * Pure functions of the saga's own data, shared by the API (which starts the saga) and the
 * workflow. Summaries carry no personal data; the details' address travels, like every payload,
 * through the platform's payload codec.
 */

export function orderSummary(orderId: string, items: OrderSagaInput['items'], total?: number): string {
  const quantity = items.reduce((sum, i) => sum + i.quantity, 0);
  return [`Order ${short(orderId)}`, plural(quantity, 'item'), ...(total === undefined ? [] : [money(total)])].join(
    ' · ',
  );
}

export function orderDetails(input: OrderSagaInput, prices?: ReadonlyMap<string, number>): string {
  const lines = input.items.map(
    (i) => `| ${i.sku} | ${i.quantity} | ${prices?.has(i.sku) ? money(prices.get(i.sku)!) : '–'} |`,
  );
  const a = input.shippingAddress;
  return [
    `**Order** \`${input.orderId}\``,
    '',
    '| SKU | quantity | unit price |',
    '|---|---|---|',
    ...lines,
    '',
    // The country only: the rest of the address is personal data, which stays out of metadata.
    `**Ships to** ${a.country}`,
    '',
    `**Approval** needed above ${money(input.settings.approvalThreshold)}, waiting up to ${duration(input.settings.approvalTimeoutMs)}`,
  ].join('\n');
}

/** The one-line summary of each step's activity and of the approval's timer, from the step table. */
export const stepSummaries = {
  ...(Object.fromEntries(SAGA_STEPS.map((s) => [s.step, s.summary])) as Record<
    ForwardStep,
    (facts: StepFacts) => string
  >),
  [FINAL_STEP.step]: FINAL_STEP.summary,
  approval: APPROVAL.summary,
} as const;

/** The current details: where the saga stands now. */
export function currentDetails(status: string, step: string | null, total: number | null): string {
  return [
    `**Status** ${status}`,
    ...(step ? [`**Step** ${step}`] : []),
    ...(total === null ? [] : [`**Total** ${money(total)}`]),
  ].join('  \n');
}

/** The current details' lines while a step waits for an operator's repair (status NEEDS_ATTENTION). */
export function needsAttentionDetails(step: string, reason: string, until: string): string {
  return [
    `**Needs attention** ${step} failed: ${reason}`,
    `**Repair** POST /orders/:orderId/repair with retry, correct (the address) or compensate; compensates by itself at ${until}`,
  ].join('  \n');
}
