import { describe, expect, it } from 'vitest';
import { runHostileCases } from '../../scripts/fuzz/run-hostile';
import { apiOf } from '../helpers/stack';
import { address, fastSaga, useSagaStack } from '../helpers/saga';

describe('hostile input', () => {
  const t = useSagaStack(fastSaga);

  it('answers every hostile request with the documented 4xx and the error shape, and writes nothing for it', async () => {
    const account = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 50, 100);
    const idempotencyKey = t.h.unique('idem');
    const placed = await t.h.placeOrder(
      { accountId: account, items: [{ sku, quantity: 1 }], customerId: 'fuzz', shippingAddress: address },
      { 'idempotency-key': idempotencyKey },
    );
    await t.h.result(placed.orderId);

    const events = t.stack.mongo.db.collection('events');
    const before = await events.countDocuments();
    const countSagas = async () => {
      let n = 0;
      for await (const _ of t.stack.client.workflow.list({ query: `TaskQueue = '${t.stack.config.TASK_QUEUE}'` })) n++;
      return n;
    };
    const sagasBefore = await countSagas();

    const results = await runHostileCases(t.stack.baseUrl, { account, sku, order: placed.orderId, idempotencyKey });
    const wrong = results.filter((r) => !r.expected.includes(r.status) || !r.errorShape);
    expect(wrong, JSON.stringify(wrong, null, 2)).toEqual([]);
    expect(results.every((r) => r.status < 500)).toBe(true);
    expect(results.length).toBeGreaterThan(50);

    expect(await events.countDocuments()).toBe(before);
    expect(
      await events.countDocuments({ 'metadata.correlationId': { $in: results.map((r) => r.correlationId) } }),
    ).toBe(0);
    expect(await countSagas()).toBe(sagasBefore);
    expect((await apiOf(t.stack).GET('/health')).response.status).toBe(200);
  });

  it('serves an OpenAPI document that lists every route', async () => {
    // The contract does not describe its own document's shape (it is OpenAPI 3.1 itself).
    const doc = (await apiOf(t.stack).GET('/openapi.json')).data as unknown as {
      openapi: string;
      paths: Record<string, any>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/orders',
      '/orders/{orderId}/approve',
      '/accounts/{id}/withdrawals',
      '/projections/{name}/rebuild',
      '/dead-letters/{id}/redrive',
      '/codec/decode',
      '/analytics/sales',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/orders'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    // A from after its to is a 422 the document lists, beside the read models' own 422.
    for (const listed of [doc.paths['/orders'].get, doc.paths['/analytics/sales'].get]) {
      expect(listed.responses['422'].description).toMatch(/empty_range/);
      expect(listed.responses['422'].description).toMatch(/unknown_position/);
    }
  });
});
