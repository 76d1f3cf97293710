/**
 * A small world for the operator console to show: two customers with accounts, and orders in the
 * states an operator meets (completed, awaiting approval, cancelled with its compensations, and
 * one whose compensation could not succeed, with its open dead letter). Made through the API as a
 * user makes it; `npm run console:screenshots` and the console's browser test both use it.
 */
import type { Client } from '@temporalio/client';
import { createApiClient, dataOf, type ApiClient } from '../api/client';
import type { Config } from '../config';
import { ORDER_STATUS, orderWorkflowId, type OrderSagaResult } from '../domain/orders';

/**
 * What the world needs of the system: fast retries (so a dead letter is made in seconds), fault
 * injection, and approvals that wait for the operator rather than time out under a screenshot.
 */
export const demoConfig = {
  SAGA_TIME_SCALE: 0.01,
  COMPENSATION_MAX_ATTEMPTS: 3,
  APPROVAL_THRESHOLD: 5_000,
  APPROVAL_TIMEOUT: 3_600_000,
  FAULT_INJECTION: 'on',
} as const satisfies Partial<Config>;

export interface DemoCustomer {
  customerId: string;
  accountId: string;
}

export interface DemoWorld {
  sku: string;
  ada: DemoCustomer;
  grace: DemoCustomer;
  /** Ada's. */
  completed: string;
  /** Ada's, above the approval threshold. */
  awaitingApproval: string;
  /** Grace's: the reservation failed (out of stock), the payment was refunded. */
  cancelled: string;
  /** Grace's: shipping was down for good, so undoing the shipment failed too: an open dead letter. */
  compensationIncomplete: string;
}

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

export async function seedDemo(
  system: { baseUrl: string; client: Client },
  headers: Record<string, string> = {},
  suffix = Date.now().toString(36),
): Promise<DemoWorld> {
  const api: ApiClient = createApiClient({ baseUrl: system.baseUrl, headers });
  const stock = async (sku: string, quantity: number, price: number) => {
    await dataOf(api.POST('/inventory', { body: { sku, quantity, price } }));
    return sku;
  };
  const customer = async (name: string, deposit: number): Promise<DemoCustomer> => {
    const customerId = `${name}-${suffix}`;
    const opened = await dataOf(
      api.POST('/accounts', { body: { customerId, owner: `${name} (${suffix})`, initialDeposit: deposit } }),
    );
    await dataOf(
      api.POST('/accounts/{id}/deposits', {
        params: { path: { id: opened.accountId } },
        body: { amount: 2_500 },
      }),
    );
    return { customerId, accountId: opened.accountId };
  };
  const place = async (who: DemoCustomer, sku: string, quantity: number) =>
    (
      await dataOf(
        api.POST('/orders', {
          body: {
            customerId: who.customerId,
            accountId: who.accountId,
            items: [{ sku, quantity }],
            shippingAddress: address,
          },
        }),
      )
    ).orderId;
  const result = (orderId: string): Promise<OrderSagaResult> =>
    system.client.workflow.getHandle(orderWorkflowId(orderId)).result();
  const ended = async (orderId: string, status: OrderSagaResult['status']) => {
    const r = await result(orderId);
    if (r.status !== status) throw new Error(`demo order ${orderId} ended ${r.status}, expected ${status}`);
    return orderId;
  };

  const sku = await stock(`BOOK-${suffix}`, 100, 1_500);
  const rare = await stock(`RARE-${suffix}`, 1, 1_000);
  const lamp = await stock(`LAMP-${suffix}`, 10, 9_000);
  const ada = await customer('ada', 100_000);
  const grace = await customer('grace', 50_000);

  const completed = await ended(await place(ada, sku, 2), ORDER_STATUS.COMPLETED);
  const cancelled = await ended(await place(grace, rare, 2), ORDER_STATUS.CANCELLED);
  const awaitingApproval = await place(ada, lamp, 1);
  await dataOf(api.PUT('/faults/{service}', { params: { path: { service: 'shipping' } }, body: { mode: 'error' } }));
  let compensationIncomplete: string;
  try {
    compensationIncomplete = await ended(await place(grace, sku, 1), ORDER_STATUS.COMPENSATION_INCOMPLETE);
  } finally {
    await api.DELETE('/faults/{service}', { params: { path: { service: 'shipping' } } });
  }
  return { sku, ada, grace, completed, awaitingApproval, cancelled, compensationIncomplete };
}
