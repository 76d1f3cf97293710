import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startStack, type Stack } from '../helpers/stack';

const order = {
  customerId: 'cust-1',
  accountId: 'acct-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};
const { customerId: _omitted, ...withoutCustomer } = order;

/** A 400's message names the part of the request once, then the field when there is one. Raw requests: each case is input the typed client's types forbid. */
const CASES: Array<{ name: string; method: string; path: string; body?: unknown; message: string; field: string }> = [
  {
    name: 'a body that is an array',
    method: 'POST',
    path: '/orders',
    body: [order],
    message: 'body: Invalid input: expected object, received array',
    field: 'body',
  },
  {
    name: 'a body with a key the operation does not take',
    method: 'POST',
    path: '/orders',
    body: { ...order, extra: true },
    message: 'body: Unrecognized key: "extra"',
    field: 'body',
  },
  {
    name: 'a body missing a field',
    method: 'POST',
    path: '/orders',
    body: withoutCustomer,
    message: 'body: customerId: Invalid input: expected string, received undefined',
    field: 'customerId',
  },
  {
    name: 'a nested field out of range',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: 'SKU-1', quantity: 0 }] },
    message: 'body: items.0.quantity: Too small: expected number to be >0',
    field: 'items.0.quantity',
  },
  {
    name: 'a bad path parameter',
    method: 'GET',
    path: '/orders/bad!id/saga',
    message: 'params: orderId: ids are letters, digits and . : @ _ -',
    field: 'orderId',
  },
  {
    name: 'a bad query parameter',
    method: 'GET',
    path: '/orders?limit=0',
    message: 'query: limit: Too small: expected number to be >=1',
    field: 'limit',
  },
  {
    name: 'a query parameter the operation does not take',
    method: 'GET',
    path: '/orders?bogus=1',
    message: 'query: Unrecognized key: "bogus"',
    field: 'query',
  },
];

describe('validation messages', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it.each(CASES)('names $name once: "$message"', async ({ method, path, body, message, field }) => {
    const res = await http(stack.baseUrl, method, path, body);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toBe(message);
    expect(res.body.error.details[0].field).toBe(field);
  });
});
