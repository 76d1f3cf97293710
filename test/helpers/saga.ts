import { afterAll, beforeAll, expect } from 'vitest';
import type { Config } from '../../config';
import type { InProcessOptions } from '../../scripts/system';
import { createAccountService } from '../../domain/accounts';
import { createEventStore, type StoredEvent } from '../../eventstore';
import type { OrderSagaResult, SagaStatus } from '../../domain/orders';
import { statusQuery } from '../../workflows/definitions';
import { apiOf, startStack, type Stack } from './stack';
import { waitFor } from './wait-for';

export const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

/** Saga settings that make retries and timeouts take milliseconds instead of minutes. */
export const fastSaga = { SAGA_TIME_SCALE: 0.01, COMPENSATION_MAX_ATTEMPTS: 5 } as const;

/** `headers` go with every request the helpers make (an operator's API key in production-mode tests). */
export function sagaHelpers(stack: Stack, headers: Record<string, string> = {}) {
  const store = createEventStore(stack.mongo.db);
  const accounts = createAccountService({ store });
  const api = apiOf(stack, headers);
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

  return {
    store,
    accounts,
    unique,
    async openAccount(balance: number): Promise<string> {
      const account = await accounts.openAccount({ owner: unique('owner'), initialDeposit: balance });
      return account.accountId;
    },
    async balance(accountId: string): Promise<number> {
      return (await accounts.getAccount(accountId))!.balance;
    },
    async stock(sku: string, quantity: number, price: number) {
      const { data, error, response } = await api.POST('/inventory', { body: { sku, quantity, price } });
      expect(response.status, JSON.stringify(error)).toBe(200);
      return data!;
    },
    async level(sku: string) {
      const { data, error, response } = await api.GET('/inventory/{sku}', { params: { path: { sku } } });
      expect(response.status, JSON.stringify(error)).toBe(200);
      return data!;
    },
    async placeOrder(
      body: {
        customerId?: string;
        accountId: string;
        items: Array<{ sku: string; quantity: number }>;
        shippingAddress?: typeof address;
      },
      extra: Record<string, string> = {},
    ) {
      const { data, error, response } = await api.POST('/orders', {
        body: { customerId: 'cust-1', shippingAddress: address, ...body },
        headers: extra,
      });
      expect(response.status, JSON.stringify(error)).toBe(202);
      return data!;
    },
    async result(orderId: string): Promise<OrderSagaResult> {
      return stack.client.workflow.getHandle(`order-${orderId}`).result();
    },
    async sagaStatus(orderId: string): Promise<SagaStatus> {
      return stack.client.workflow.getHandle(`order-${orderId}`).query(statusQuery);
    },
    async waitForSaga(orderId: string, predicate: (s: SagaStatus) => boolean, what: string) {
      return waitFor(what, async () => {
        const status = await stack.client.workflow.getHandle(`order-${orderId}`).query(statusQuery);
        return predicate(status) ? status : undefined;
      });
    },
    /** Every event of an order's saga, across the services' streams, in global order. */
    async orderEvents(correlationOrOrderId: string): Promise<StoredEvent[]> {
      const docs = await stack.mongo.db
        .collection('events')
        .find({ $or: [{ 'data.orderId': correlationOrOrderId }, { 'data.reference': correlationOrOrderId }] })
        .sort({ position: 1 })
        .toArray();
      return docs as unknown as StoredEvent[];
    },
    /** The orders read model's view of an order, once the projection shows it in `status`. */
    async orderView(orderId: string, status: string) {
      return waitFor(`order ${orderId} to be ${status} in the read model`, async () => {
        const { data } = await api.GET('/orders/{orderId}', { params: { path: { orderId } } });
        return data?.status === status ? data : undefined;
      });
    },
    async accountEvents(accountId: string) {
      return accounts.history(accountId);
    },
  };
}

/**
 * The usual setup of a saga test file: one in-process system for the file (started before its
 * tests, stopped after) and the saga helpers bound to it. Read `t.stack` and `t.h` inside tests.
 */
export function useSagaStack(overrides: Partial<Config> = {}, options: InProcessOptions = {}) {
  const t = {} as { stack: Stack; h: ReturnType<typeof sagaHelpers> };
  beforeAll(async () => {
    t.stack = await startStack(overrides, options);
    t.h = sagaHelpers(t.stack);
  });
  afterAll(() => t.stack?.stop());
  return t;
}
