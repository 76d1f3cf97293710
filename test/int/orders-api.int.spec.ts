import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, http, startStack, type Stack } from '../helpers/stack';

const order = {
  customerId: 'cust-1',
  accountId: 'acct-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};

describe('orders API: input validation and errors', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('rejects bad input with 400 naming the field and starts nothing', async () => {
    const before = await stack.mongo.db.collection('events').countDocuments();
    const cases: Array<[unknown, string]> = [
      [{ ...order, customerId: 5 }, 'customerId'],
      [{ ...order, items: [] }, 'items'],
      [{ ...order, items: [{ sku: 'SKU-1', quantity: 1.5 }] }, 'items.0.quantity'],
      [{ ...order, items: [{ sku: 'SKU-1', quantity: -1 }] }, 'items.0.quantity'],
      [{ ...order, shippingAddress: { ...order.shippingAddress, country: 'USA' } }, 'shippingAddress.country'],
      [{ ...order, extra: true }, 'body'],
    ];
    // Raw requests: bodies the typed client's types forbid, and one that is not JSON at all.
    for (const [body, field] of cases) {
      const res = await http(stack.baseUrl, 'POST', '/orders', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const malformed = await http(stack.baseUrl, 'POST', '/orders', '{"customerId":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const wrongType = await fetch(`${stack.baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(wrongType.status).toBe(415);
    expect(await stack.mongo.db.collection('events').countDocuments()).toBe(before);
    let sagas = 0;
    for await (const _ of stack.client.workflow.list({ query: `TaskQueue = '${stack.config.TASK_QUEUE}'` })) sagas++;
    expect(sagas).toBe(0);
  });

  it('answers 404 with the error shape for an unknown order and an unknown route', async () => {
    const unknown = await apiOf(stack).GET('/orders/{orderId}', { params: { path: { orderId: 'does-not-exist' } } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error?.error).toMatchObject({ code: 'not_found' });
    const route = await http(stack.baseUrl, 'GET', '/nope'); // raw: a route the contract does not have
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('route_not_found');
  });
});
