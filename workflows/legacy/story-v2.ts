import { duration, money, plural, short } from '../../domain/orders/format';
import type { OrderSagaInput } from '../../domain/orders/saga';

/** The activity and timer summaries of the frozen saga (order-saga-v2.ts), as they were written then. */
export const stepSummaries = {
  createOrder: (items: OrderSagaInput['items']) => `price and record the order (${plural(items.length, 'line')})`,
  processPayment: (amount: number, accountId: string) => `charge ${money(amount)} to account ${short(accountId)}`,
  reserveItems: (items: OrderSagaInput['items']) => `reserve ${items.map((i) => `${i.quantity}× ${i.sku}`).join(', ')}`,
  scheduleShipment: () => 'book the shipment',
  completeOrder: () => 'mark the order completed',
  approval: (timeoutMs: number) => `wait up to ${duration(timeoutMs)} for approval`,
} as const;
