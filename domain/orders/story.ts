import type { OrderSagaInput } from './saga';

/**
 * How a saga tells its story in the Temporal Web UI (user metadata): a one-line summary per saga,
 * Markdown details, a summary per activity and timer, and current details that follow the status.
 * Pure functions of the saga's own data, shared by the API (which starts the saga) and the
 * workflow. Summaries carry no personal data; the details' address travels, like every payload,
 * through the platform's payload codec.
 */
export const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
const short = (id: string) => (id.length > 8 ? `${id.slice(0, 8)}…` : id);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function orderSummary(orderId: string, items: OrderSagaInput['items'], total?: number): string {
  const quantity = items.reduce((sum, i) => sum + i.quantity, 0);
  return [`Order ${short(orderId)}`, plural(quantity, 'item'), ...(total === undefined ? [] : [money(total)])].join(' · ');
}

export function orderDetails(input: OrderSagaInput, prices?: ReadonlyMap<string, number>): string {
  const lines = input.items.map((i) => `| ${i.sku} | ${i.quantity} | ${prices?.has(i.sku) ? money(prices.get(i.sku)!) : '–'} |`);
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

export const stepSummaries = {
  createOrder: (items: OrderSagaInput['items']) => `price and record the order (${plural(items.length, 'line')})`,
  processPayment: (amount: number, accountId: string) => `charge ${money(amount)} to account ${short(accountId)}`,
  reserveItems: (items: OrderSagaInput['items']) => `reserve ${items.map((i) => `${i.quantity}× ${i.sku}`).join(', ')}`,
  scheduleShipment: () => 'book the shipment',
  completeOrder: () => 'mark the order completed',
  approval: (timeoutMs: number) => `wait up to ${duration(timeoutMs)} for approval`,
} as const;

/** The current details: where the saga stands now. */
export function currentDetails(status: string, step: string | null, total: number | null): string {
  return [`**Status** ${status}`, ...(step ? [`**Step** ${step}`] : []), ...(total === null ? [] : [`**Total** ${money(total)}`])].join('  \n');
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
