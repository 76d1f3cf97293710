import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { idempotencyKey } from '../../../api/client';
import { apiOf } from '../../helpers/stack';

/** JSON with sorted keys: the form in which a request body is compared with the first one. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * An idempotency record must tell a repeat of a request from a different one for as long as it is
 * kept, without naming the customer the request was about: an order's body holds the customer id,
 * their account and their address, and a plain hash of it is checked by anyone who guesses them.
 */
describe('idempotency records of orders', () => {
  const t = useSagaStack(fastSaga);

  it('keep the request only as a keyed digest that no guessed body can be checked against, and still replay the same request and refuse a different one', async () => {
    const customerId = `c_idem${randomBytes(4).toString('hex')}`;
    const api = apiOf(t.stack);
    const opened = await api.POST('/accounts', {
      body: { customerId, owner: 'Digest Holder', initialDeposit: 100_000 },
    });
    expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
    const sku = t.h.unique('DIGEST');
    await t.h.stock(sku, 10, 100);
    const body = {
      customerId,
      accountId: opened.data!.accountId,
      items: [{ sku, quantity: 1 }],
      shippingAddress: address,
    };
    const key = { header: idempotencyKey(`digest-${customerId}`) };

    const first = await api.POST('/orders', { body, params: key });
    expect(first.response.status, JSON.stringify(first.error)).toBe(202);
    const records = await t.stack.mongo.db.collection('idempotency_keys').find({}).toArray();
    expect(records.length, 'the order left an idempotency record').toBeGreaterThan(0);
    const stored = JSON.stringify(records);
    expect(stored, 'an idempotency record names the customer').not.toContain(customerId);
    // Whoever has the database and guesses the whole body (the customer, their account, their address) learns nothing.
    expect(records.map((r) => r.requestHash)).not.toContain(sha256(canonicalJson(body)));

    const repeat = await api.POST('/orders', { body, params: key });
    expect(repeat.response.status, JSON.stringify(repeat.error)).toBe(202);
    expect(repeat.response.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.data?.orderId).toBe(first.data!.orderId);
    const different = await api.POST('/orders', { body: { ...body, items: [{ sku, quantity: 2 }] }, params: key });
    expect(different.response.status, JSON.stringify(different.data)).toBe(422);
    expect(different.error?.error.code).toBe('idempotency_key_reused');
  });

  it('written before requests were digested under a key, still replay their answer to the same request', async () => {
    const key = `before-digest-${randomBytes(4).toString('hex')}`;
    const body = {
      customerId: 'c_before',
      accountId: 'a-before',
      items: [{ sku: 'SKU-BEFORE', quantity: 1 }],
      shippingAddress: address,
    };
    const answer = { status: 202, body: { orderId: 'order-before-digest', status: 'PENDING' } };
    // As the API stored it: the seed of (caller, scope, key) and the body's plain SHA-256.
    const seed = sha256(`anonymous\norders.place\n${key}`);
    const now = Date.now();
    await t.stack.mongo.db.collection<Record<string, unknown> & { _id: string }>('idempotency_keys').insertOne({
      _id: seed,
      scope: 'orders.place',
      requestHash: sha256(canonicalJson(body)),
      state: 'done',
      answer,
      leaseUntil: new Date(now),
      createdAt: new Date(now),
      expiresAt: new Date(now + 3_600_000),
    });
    const replayed = await apiOf(t.stack).POST('/orders', { body, params: { header: idempotencyKey(key) } });
    expect(replayed.response.status, JSON.stringify(replayed.error)).toBe(202);
    expect(replayed.response.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.data).toEqual(answer.body);
  });
});
