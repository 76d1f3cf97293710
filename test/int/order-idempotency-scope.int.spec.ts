import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, fastSaga, sagaHelpers } from '../helpers/saga';
import { idempotencyKey } from '../../api/client';
import { apiOf, startStack, type Stack } from '../helpers/stack';

/**
 * Idempotency-Keys for orders are scoped per caller. Records written before that scoping
 * (`orders:<key>` naming an order directly) may still sit in the store; they must not let another
 * caller's key lead into someone else's order.
 */
const OPERATOR = 'scope-operator-key-0123456789ab';
const CLIENT_A = 'scope-client-a-key-0123456789ab';
const CLIENT_B = 'scope-client-b-key-0123456789ab';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('order Idempotency-Keys are the caller’s own', () => {
  const t = {} as { stack: Stack; h: ReturnType<typeof sagaHelpers> };
  beforeAll(async () => {
    t.stack = await startStack({
      ...fastSaga,
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: 1_000_000,
      API_KEYS: [
        { key: OPERATOR, role: 'operator', customerId: undefined },
        { key: CLIENT_A, role: 'client', customerId: 'scope-a' },
        { key: CLIENT_B, role: 'client', customerId: 'scope-b' },
      ],
      PAYLOAD_KEYS: new Map([['k1', randomBytes(32)]]),
      PAYLOAD_KEY_ID: 'k1',
    });
    t.h = sagaHelpers(t.stack, bearer(OPERATOR));
  });
  afterAll(() => t.stack?.stop());

  async function accountOf(customerId: string): Promise<string> {
    const res = await apiOf(t.stack, bearer(OPERATOR)).POST('/accounts', {
      body: { customerId, owner: `${customerId} holder`, initialDeposit: 100_000 },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(201);
    return res.data!.accountId;
  }

  it('an unscoped key record left in the store does not let another caller join that order or see its items and total', async () => {
    const [skuA, skuB] = [t.h.unique('SCOPE-A'), t.h.unique('SCOPE-B')];
    await t.h.stock(skuA, 10, 700);
    await t.h.stock(skuB, 10, 300);
    const orderA = {
      customerId: 'scope-a',
      accountId: await accountOf('scope-a'),
      items: [{ sku: skuA, quantity: 3 }],
      shippingAddress: address,
    };
    const placedA = await apiOf(t.stack, bearer(CLIENT_A)).POST('/orders', { body: orderA });
    expect(placedA.response.status, JSON.stringify(placedA.error)).toBe(202);
    const orderIdA = placedA.data!.orderId;

    // A record in the format used before keys were scoped: the key names A's order directly.
    const key = t.h.unique('old-key');
    await t.stack.mongo.db
      .collection<{ _id: string; resourceId: string; createdAt: Date }>('idempotency_keys')
      .insertOne({ _id: `orders:${key}`, resourceId: orderIdA, createdAt: new Date() });

    const orderB = {
      customerId: 'scope-b',
      accountId: await accountOf('scope-b'),
      items: [{ sku: skuB, quantity: 1 }],
      shippingAddress: address,
    };
    // Read as text, so that the whole answer is searched for A's SKU.
    const placeAsB = () =>
      apiOf(t.stack, bearer(CLIENT_B)).POST('/orders', {
        body: orderB,
        params: { header: idempotencyKey(key) },
        parseAs: 'text',
      });
    const placedB = await placeAsB();
    expect(placedB.response.status, placedB.data ?? JSON.stringify(placedB.error)).toBe(202);
    const answerB = JSON.parse(placedB.data!) as { orderId: string; items: unknown; total: number };
    expect(answerB.orderId).not.toBe(orderIdA);
    expect(placedB.response.headers.get('location')).toBe(`/orders/${answerB.orderId}`);
    expect(answerB.items).toEqual([{ sku: skuB, quantity: 1, unitPrice: 300 }]);
    expect(answerB.total).toBe(300);
    expect(placedB.data).not.toContain(skuA);

    // Each order is its own saga and completes as its own customer placed it.
    expect((await t.h.result(orderIdA)).status).toBe('COMPLETED');
    expect((await t.h.result(answerB.orderId)).status).toBe('COMPLETED');
    expect(await t.h.balance(orderA.accountId)).toBe(100_000 - 2_100);
    expect(await t.h.balance(orderB.accountId)).toBe(100_000 - 300);
    // The key, repeated by its caller, replays B's own answer.
    const again = await placeAsB();
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(JSON.parse(again.data!).orderId).toBe(answerB.orderId);
  });
});
