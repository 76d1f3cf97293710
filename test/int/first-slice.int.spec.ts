import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const order = {
  customerId: 'cust-1',
  accountId: 'acct-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};

describe('first slice: HTTP -> Temporal workflow -> activity -> MongoDB', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('starts the order workflow from POST /orders and the activity writes the order to MongoDB', async () => {
    const res = await http(stack.baseUrl, 'POST', '/orders', order, { 'x-correlation-id': 'corr-first-slice' });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe(`order-${res.body.orderId}`);
    expect(res.headers.get('location')).toBe(`/orders/${res.body.orderId}`);

    const doc = await waitFor('the order document', () => stack.mongo.db.collection('orders').findOne({ _id: res.body.orderId } as never));
    expect(doc).toMatchObject({ customerId: 'cust-1', status: 'PENDING', correlationId: 'corr-first-slice', workflowId: res.body.workflowId });

    const result = await stack.client.workflow.getHandle(res.body.workflowId).result();
    expect(result).toEqual({ orderId: res.body.orderId, status: 'PENDING' });

    const read = await http(stack.baseUrl, 'GET', `/orders/${res.body.orderId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ orderId: res.body.orderId, items: order.items });
  });

  it('rejects bad input with 400 naming the field and starts nothing', async () => {
    const before = await stack.mongo.db.collection('orders').countDocuments();
    const cases: Array<[unknown, string]> = [
      [{ ...order, customerId: 5 }, 'customerId'],
      [{ ...order, items: [] }, 'items'],
      [{ ...order, items: [{ sku: 'SKU-1', quantity: 1.5 }] }, 'items.0.quantity'],
      [{ ...order, items: [{ sku: 'SKU-1', quantity: -1 }] }, 'items.0.quantity'],
      [{ ...order, shippingAddress: { ...order.shippingAddress, country: 'USA' } }, 'shippingAddress.country'],
      [{ ...order, extra: true }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await http(stack.baseUrl, 'POST', '/orders', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const malformed = await http(stack.baseUrl, 'POST', '/orders', '{"customerId":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const wrongType = await fetch(`${stack.baseUrl}/orders`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(wrongType.status).toBe(415);
    expect(await stack.mongo.db.collection('orders').countDocuments()).toBe(before);
  });

  it('answers 404 with the error shape for an unknown order and an unknown route', async () => {
    const unknown = await http(stack.baseUrl, 'GET', '/orders/does-not-exist');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'not_found' });
    const route = await http(stack.baseUrl, 'GET', '/nope');
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('route_not_found');
  });
});
