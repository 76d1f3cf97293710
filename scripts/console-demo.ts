/**
 * A small world for the operator console to show: two customers with accounts, and orders in the
 * states an operator meets (completed, awaiting approval, cancelled with its compensations, one
 * whose compensation could not succeed, with its open dead letter, one waiting in NEEDS_ATTENTION
 * for a repair, and one whose saga was terminated and then settled by the worker's sweep). Made
 * through the API as a user makes it; `npm run console:screenshots` and the console's browser test
 * both use it.
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
  // The sweep finds the terminated saga's order within seconds rather than a minute.
  SETTLE_SWEEP_INTERVAL: 1_000,
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
  /** Ada's: the carrier refuses its postal code, so the saga waits in NEEDS_ATTENTION for a repair. */
  needsAttention: string;
  /** Ada's: its saga was terminated while it awaited approval; the sweep found it and settled it. */
  settled: string;
}

/** A postal code the carrier does not know: scheduleShipment refuses it, and an operator may correct it. */
export const REFUSED_POSTAL_CODE = '00000';

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
  const place = async (who: DemoCustomer, sku: string, quantity: number, shippingAddress = address) =>
    (
      await dataOf(
        api.POST('/orders', {
          body: {
            customerId: who.customerId,
            accountId: who.accountId,
            items: [{ sku, quantity }],
            shippingAddress,
          },
        }),
      )
    ).orderId;
  /** Asks until `ready` holds (a script's patience: two minutes, then a clear error). */
  const until = async <T>(
    what: string,
    ask: () => Promise<T | undefined>,
    seen?: () => Promise<unknown>,
  ): Promise<T> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const answer = await ask();
      if (answer !== undefined) return answer;
      if (Date.now() > deadline)
        throw new Error(
          `demo: ${what} did not happen within two minutes; last seen: ${JSON.stringify(await seen?.())}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const sagaOf = (orderId: string) => dataOf(api.GET('/orders/{orderId}/saga', { params: { path: { orderId } } }));
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
    // The outage may have opened shipping's breaker (enough failed calls in its window): an operator
    // who ended it closes the breaker rather than leave the next orders waiting for its probe, which
    // backs off to a minute after failed ones. A closed breaker answers that nothing changed.
    await api.PUT('/breakers/{service}', {
      params: { path: { service: 'shipping' } },
      body: { state: 'closed', reason: 'the demo shipping outage is over' },
    });
  }
  const needsAttention = await place(ada, sku, 1, { ...address, postalCode: REFUSED_POSTAL_CODE });
  await until(
    'the refused address to need attention',
    async () => ((await sagaOf(needsAttention)).status === ORDER_STATUS.NEEDS_ATTENTION ? true : undefined),
    () => sagaOf(needsAttention),
  );

  const settled = await place(ada, lamp, 1);
  await until('the order to await approval', async () =>
    (await sagaOf(settled)).awaitingApproval === true ? true : undefined,
  );
  await system.client.workflow.getHandle(orderWorkflowId(settled)).terminate('ended from the demo');
  await until('the sweep to settle the terminated saga', async () => {
    const { orders } = await dataOf(api.GET('/orders/unsettled', { params: { query: { state: 'settled' } } }));
    return orders.some((o) => o.orderId === settled) ? true : undefined;
  });
  return { sku, ada, grace, completed, awaitingApproval, cancelled, compensationIncomplete, needsAttention, settled };
}
