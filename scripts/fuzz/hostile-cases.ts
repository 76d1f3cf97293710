/**
 * Hand-written hostile requests, beyond what schema-driven fuzzing generates. Every one must be
 * answered with a 4xx naming the problem, and must write nothing. Used by `npm run fuzz` and by
 * the test suite. `{account}`, `{order}` and `{sku}` are replaced with real ids.
 */
export interface HostileCase {
  name: string;
  method: string;
  path: string;
  /** A string is sent as is (malformed JSON, wrong types of body). */
  body?: unknown;
  headers?: Record<string, string>;
  expect: number[];
}

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const order = {
  customerId: 'fuzz',
  accountId: '{account}',
  items: [{ sku: '{sku}', quantity: 1 }],
  shippingAddress: address,
};
const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });

export const hostileCases: HostileCase[] = [
  // amounts
  ...[-1, 0, 1.5, 1e300, Number.MAX_SAFE_INTEGER + 2, '100', null, true, [], {}].map((amount) => ({
    name: `deposit amount ${JSON.stringify(amount)}`,
    method: 'POST',
    path: '/accounts/{account}/deposits',
    body: { amount },
    expect: [400],
  })),
  ...[-5, 0, 0.01, 'ten'].map((amount) => ({
    name: `withdrawal amount ${JSON.stringify(amount)}`,
    method: 'POST',
    path: '/accounts/{account}/withdrawals',
    body: { amount },
    expect: [400],
  })),
  {
    name: 'withdrawal above the balance',
    method: 'POST',
    path: '/accounts/{account}/withdrawals',
    body: { amount: 900_000_000 },
    expect: [422],
  },
  {
    name: 'deposit with an extra field',
    method: 'POST',
    path: '/accounts/{account}/deposits',
    body: { amount: 5, note: 'x' },
    expect: [400],
  },
  {
    name: 'deposit with a missing field',
    method: 'POST',
    path: '/accounts/{account}/deposits',
    body: {},
    expect: [400],
  },
  {
    name: 'deposit to an unknown account',
    method: 'POST',
    path: '/accounts/no-such-account/deposits',
    body: { amount: 5 },
    expect: [404],
  },
  {
    name: 'deposit with a stale If-Match',
    method: 'POST',
    path: '/accounts/{account}/deposits',
    body: { amount: 5 },
    headers: { 'if-match': '"999999"' },
    expect: [412],
  },
  {
    name: 'deposit with a malformed If-Match',
    method: 'POST',
    path: '/accounts/{account}/deposits',
    body: { amount: 5 },
    headers: { 'if-match': 'yesterday' },
    expect: [400],
  },
  // open account
  {
    name: 'open account with owner of wrong type',
    method: 'POST',
    path: '/accounts',
    body: { owner: 42 },
    expect: [400],
  },
  {
    name: 'open account with a very long owner',
    method: 'POST',
    path: '/accounts',
    body: { owner: 'x'.repeat(10_000) },
    expect: [400],
  },
  {
    name: 'open account with a negative deposit',
    method: 'POST',
    path: '/accounts',
    body: { owner: 'a', initialDeposit: -1 },
    expect: [400],
  },
  {
    name: 'open account with a huge deposit',
    method: 'POST',
    path: '/accounts',
    body: { owner: 'a', initialDeposit: 1e20 },
    expect: [400],
  },
  // orders
  { name: 'order with no items', method: 'POST', path: '/orders', body: { ...order, items: [] }, expect: [400] },
  {
    name: 'order with a fractional quantity',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: '{sku}', quantity: 0.5 }] },
    expect: [400],
  },
  {
    name: 'order with a negative quantity',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: '{sku}', quantity: -3 }] },
    expect: [400],
  },
  {
    name: 'order with a huge quantity',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: '{sku}', quantity: 1e12 }] },
    expect: [400],
  },
  {
    name: 'order with a client-set price',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: '{sku}', quantity: 1, unitPrice: 1 }] },
    expect: [400],
  },
  {
    name: 'order with a client-set total',
    method: 'POST',
    path: '/orders',
    body: { ...order, total: 1 },
    expect: [400],
  },
  {
    name: 'order with an unknown SKU',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] },
    expect: [422],
  },
  {
    name: 'order with a unicode customer id',
    method: 'POST',
    path: '/orders',
    body: { ...order, customerId: 'cliënt-😀' },
    expect: [400],
  },
  {
    name: 'order with an address of wrong shape',
    method: 'POST',
    path: '/orders',
    body: { ...order, shippingAddress: 'Main St' },
    expect: [400],
  },
  {
    name: 'order with a long address line',
    method: 'POST',
    path: '/orders',
    body: { ...order, shippingAddress: { ...address, line1: 'y'.repeat(5_000) } },
    expect: [400],
  },
  {
    name: 'order with a 3-letter country',
    method: 'POST',
    path: '/orders',
    body: { ...order, shippingAddress: { ...address, country: 'USA' } },
    expect: [400],
  },
  { name: 'order as an array', method: 'POST', path: '/orders', body: [order], expect: [400] },
  { name: 'order as a JSON string', method: 'POST', path: '/orders', body: '"order"', expect: [400] },
  { name: 'deeply nested JSON', method: 'POST', path: '/orders', body: deep(2_000), expect: [400] },
  {
    name: 'oversized body',
    method: 'POST',
    path: '/orders',
    body: { ...order, padding: 'p'.repeat(200_000) },
    expect: [413],
  },
  { name: 'malformed JSON', method: 'POST', path: '/orders', body: '{"customerId": "a",', expect: [400] },
  {
    name: 'wrong content type',
    method: 'POST',
    path: '/orders',
    body: 'customerId=a',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    expect: [415],
  },
  {
    name: 'text body',
    method: 'POST',
    path: '/accounts',
    body: 'hello',
    headers: { 'content-type': 'text/plain' },
    expect: [415],
  },
  {
    name: 'idempotency key reused with another body',
    method: 'POST',
    path: '/orders',
    body: { ...order, items: [{ sku: '{sku}', quantity: 2 }] },
    headers: { 'idempotency-key': '{idempotencyKey}' },
    expect: [422],
  },
  {
    name: 'idempotency key with spaces',
    method: 'POST',
    path: '/orders',
    body: order,
    headers: { 'idempotency-key': 'two words' },
    expect: [400],
  },
  // ids, queries, operations
  { name: 'unknown order', method: 'GET', path: '/orders/not-an-order', expect: [404] },
  { name: 'order id with a slash-like payload', method: 'GET', path: '/orders/%2e%2e%2fetc', expect: [400, 404] },
  { name: 'unknown order saga', method: 'GET', path: '/orders/not-an-order/saga', expect: [404] },
  { name: 'approve an unknown order', method: 'POST', path: '/orders/not-an-order/approve', expect: [404] },
  {
    name: 'approve an order that does not need approval',
    method: 'POST',
    path: '/orders/{order}/approve',
    expect: [409],
  },
  {
    name: 'reject with a reason of wrong type',
    method: 'POST',
    path: '/orders/{order}/reject',
    body: { reason: 5 },
    expect: [400],
  },
  { name: 'cancel a finished order', method: 'POST', path: '/orders/{order}/cancel', expect: [409] },
  {
    name: 'change the address of a shipped order',
    method: 'PUT',
    path: '/orders/{order}/shipping-address',
    body: address,
    expect: [409],
  },
  { name: 'list orders with a bad status', method: 'GET', path: '/orders?status=LOST', expect: [400] },
  {
    name: 'list orders with from after to',
    method: 'GET',
    path: '/orders?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z',
    expect: [422],
  },
  { name: 'list orders with a huge limit', method: 'GET', path: '/orders?limit=100000', expect: [400] },
  { name: 'list orders with a forged cursor', method: 'GET', path: '/orders?cursor=AAAA', expect: [400] },
  { name: 'list orders with an unknown parameter', method: 'GET', path: '/orders?sort=$where', expect: [400] },
  {
    name: 'read model position beyond the log',
    method: 'GET',
    path: '/orders?minPosition=99999999999&waitMs=100',
    expect: [422],
  },
  { name: 'negative minPosition', method: 'GET', path: '/accounts?minPosition=-3', expect: [400] },
  { name: 'account as of a non-date', method: 'GET', path: '/accounts/{account}?asOf=yesterday', expect: [400] },
  { name: 'account at version 0', method: 'GET', path: '/accounts/{account}?version=0', expect: [400] },
  {
    name: 'account at a version it had not reached by asOf',
    method: 'GET',
    path: '/accounts/{account}?version=1&asOf=2020-01-01T00:00:00Z',
    expect: [404],
  },
  {
    name: 'account before it existed',
    method: 'GET',
    path: '/accounts/{account}?asOf=2000-01-01T00:00:00Z',
    expect: [404],
  },
  {
    name: 'sales with from after to',
    method: 'GET',
    path: '/analytics/sales?from=2030-01-02&to=2030-01-01',
    // Well formed (the document allows each bound), refused as a rule: 422, as the document says.
    expect: [422],
  },
  { name: 'sales with an impossible date', method: 'GET', path: '/analytics/sales?from=2030-02-31', expect: [400] },
  {
    name: 'restock with a negative price',
    method: 'POST',
    path: '/inventory',
    body: { sku: 'S-1', quantity: 1, price: -1 },
    expect: [400],
  },
  {
    name: 'restock with a bad SKU',
    method: 'POST',
    path: '/inventory',
    body: { sku: '../../etc', quantity: 1, price: 1 },
    expect: [400],
  },
  { name: 'rebuild an unknown projection', method: 'POST', path: '/projections/nope/rebuild', expect: [404] },
  { name: 'redrive an unknown dead letter', method: 'POST', path: '/dead-letters/nope/redrive', expect: [404] },
  {
    name: 'fault for an unknown service',
    method: 'PUT',
    path: '/faults/database',
    body: { mode: 'error' },
    expect: [400],
  },
  {
    name: 'codec with non-base64 data',
    method: 'POST',
    path: '/codec/decode',
    body: { payloads: [{ data: '%%%' }] },
    expect: [400, 404],
  },
  { name: 'unknown route', method: 'GET', path: '/admin', expect: [404] },
  { name: 'unsupported method', method: 'PATCH', path: '/orders', body: {}, expect: [405] },
];
