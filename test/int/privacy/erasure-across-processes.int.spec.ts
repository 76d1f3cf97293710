import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../api/app';
import { ERASED } from '../../../domain/personal-data';
import { createLogger } from '../../../infra/logger';
import { keyIdOf } from '../../../infra/personal-data/sealed';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { createApiClient, dataOf, type ApiClient } from '../../../api/client';
import { apiOf } from '../../helpers/stack';
import { apiParts } from '../../../composition';

/**
 * Two API processes over one database: the stack's own app (A) and a second app built the same way
 * (B). Whatever A has looked up before, an erasure performed by B is in force in A at once: A seals
 * nothing new under the erased key, and opens nothing sealed under it.
 */
describe('an erasure performed by another API process', () => {
  const t = useSagaStack(fastSaga);
  let other: Server;
  let b: ApiClient;
  beforeAll(async () => {
    other = createApp(
      apiParts({
        client: t.stack.client,
        db: t.stack.mongo.db,
        config: t.stack.config,
        log: createLogger('api-b', 'silent'),
      }),
    ).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => other.once('listening', resolve));
    b = createApiClient({ baseUrl: `http://127.0.0.1:${(other.address() as AddressInfo).port}` });
  });
  afterAll(() => new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve())));

  it('is in force at once in a process that had the key in use: its next order gets a new key and reads back, and the erased order reads [erased] there', async () => {
    const a = apiOf(t.stack);
    const sagaOf = async (api: ApiClient, orderId: string) =>
      dataOf(api.GET('/orders/{orderId}/saga', { params: { path: { orderId } } }));
    const customerId = t.h.unique('two-processes').replaceAll('-', '_');
    const sku = t.h.unique('TWOPROC');
    await t.h.stock(sku, 10, 500);
    // A opens the account, takes the order and answers its reads: it has the customer's key in use.
    const opened = await a.POST('/accounts', {
      body: { customerId, owner: 'Ada Two-Processes', initialDeposit: 10_000 },
    });
    expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
    const accountId = opened.data!.accountId;
    const first = await a.POST('/orders', {
      body: { customerId, accountId, items: [{ sku, quantity: 1 }], shippingAddress: address },
    });
    expect(first.response.status, JSON.stringify(first.error)).toBe(202);
    const firstId = first.data!.orderId;
    expect((await sagaOf(a, firstId)).shippingAddress).toEqual(address);
    const erasedKeyId = keyIdOf((await t.h.sagaStatus(firstId)).shippingAddress.line1);
    expect(erasedKeyId).not.toBeNull();

    const erasure = await b.DELETE('/customers/{customerId}/personal-data', { params: { path: { customerId } } });
    expect(erasure.response.status, JSON.stringify(erasure.error)).toBe(200);
    expect(erasure.data?.erased).toBe(true);

    // Right after, well within any cache's lifetime, the same customer orders again through A.
    const moved = { line1: '7 New Road', city: 'Shelbyville', postalCode: '54321', country: 'US' };
    const second = await a.POST('/orders', {
      body: { customerId, accountId, items: [{ sku, quantity: 1 }], shippingAddress: moved },
    });
    expect(second.response.status, JSON.stringify(second.error)).toBe(202);
    const secondId = second.data!.orderId;
    const sealed = await t.h.sagaStatus(secondId);
    const newKeyId = keyIdOf(sealed.shippingAddress.line1);
    expect(newKeyId, 'the new order is sealed under a key of its own').not.toBeNull();
    expect(newKeyId, 'the new order is sealed under the erased key').not.toBe(erasedKeyId);
    expect((await sagaOf(a, secondId)).shippingAddress, 'the new order reads back through A').toEqual(moved);
    expect((await sagaOf(b, secondId)).shippingAddress, 'the new order reads back through B').toEqual(moved);

    // A opens nothing sealed under the erased key, although it opened it a moment ago.
    const gone = { ...address, line1: ERASED, city: ERASED, postalCode: ERASED };
    expect((await sagaOf(a, firstId)).shippingAddress).toEqual(gone);
    expect((await dataOf(a.GET('/accounts/{id}', { params: { path: { id: accountId } } }))).owner).toBe(ERASED);

    expect(await t.h.result(secondId)).toMatchObject({ status: 'COMPLETED' });
    expect(await t.h.result(firstId)).toMatchObject({ status: 'COMPLETED' });
    expect((await t.h.orderView(secondId, 'COMPLETED')).shippingAddress).toEqual(moved);
    const created = (await t.h.orderEvents(secondId)).find((e) => e.type === 'OrderCreated');
    expect(
      keyIdOf((created?.data as { customerId: string } | undefined)?.customerId ?? ''),
      'the new order names its customer under the same new key',
    ).toBe(newKeyId);
    const erasedView = await a.GET('/orders/{orderId}', { params: { path: { orderId: firstId } } });
    expect(erasedView.data).toMatchObject({ customerId: ERASED, shippingAddress: gone });
    // A finds the customer's new order by the new key's pseudonym, and nothing of the erased one.
    const listed = await dataOf(a.GET('/customers/{customerId}/orders', { params: { path: { customerId } } }));
    expect(listed.orders.map((o) => o.orderId)).toEqual([secondId]);
  }, 120_000);
});
