import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { keyIdOf } from '../../api/auth';
import { createLogger } from '../../infra/logger';
import { http, startStack, type Stack } from '../helpers/stack';
import { address, fastSaga, sagaHelpers } from '../helpers/saga';
import { apiParts } from '../../composition';

const OPERATOR = 'operator-key-0123456789abcdef';
const CLIENT_A = 'client-a-key-0123456789abcdef';
const CLIENT_B = 'client-b-key-0123456789abcdef';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('production mode: authentication, roles, encryption, hardening', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  beforeAll(async () => {
    stack = await startStack({
      ...fastSaga,
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: 100_000,
      API_KEYS: [
        { key: OPERATOR, role: 'operator', customerId: undefined },
        { key: CLIENT_A, role: 'client', customerId: 'cust-a' },
        { key: CLIENT_B, role: 'client', customerId: 'cust-b' },
      ],
      PAYLOAD_KEYS: new Map([
        ['old', randomBytes(32)],
        ['k2', randomBytes(32)],
      ]),
      PAYLOAD_KEY_ID: 'k2',
    });
    h = sagaHelpers(stack, auth(OPERATOR));
  });
  afterAll(() => stack?.stop());

  const call = (method: string, path: string, key?: string, body?: unknown) => http(stack.baseUrl, method, path, body, key ? auth(key) : {});

  async function accountOf(customer: 'cust-a' | 'cust-b', deposit = 10_000): Promise<string> {
    const res = await call('POST', '/accounts', OPERATOR, { customerId: customer, owner: `${customer} holder`, initialDeposit: deposit });
    expect(res.status, res.text).toBe(201);
    return res.body.accountId;
  }

  async function orderFor(customer: 'cust-a' | 'cust-b', key: string) {
    const accountId = await accountOf(customer);
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 100);
    const res = await call('POST', '/orders', key, { customerId: customer, accountId, items: [{ sku, quantity: 1 }], shippingAddress: address });
    expect(res.status, res.text).toBe(202);
    await h.result(res.body.orderId);
    return res.body.orderId as string;
  }

  it('answers 401 without a valid API key on every endpoint but /health', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    const endpoints: Array<[string, string]> = [
      ['GET', '/orders'],
      ['POST', '/orders'],
      ['GET', '/orders/x'],
      ['GET', '/accounts'],
      ['POST', '/accounts'],
      ['POST', '/inventory'],
      ['GET', '/metrics'],
      ['GET', '/projections'],
      ['GET', '/dead-letters'],
      ['PUT', '/faults/email'],
      ['POST', '/codec/decode'],
      ['GET', '/analytics/sales'],
    ];
    for (const [method, path] of endpoints) {
      const none = await call(method, path, undefined, method === 'GET' ? undefined : {});
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.body.error.code).toBe('unauthenticated');
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect((await call(method, path, 'not-a-real-key-000000000', method === 'GET' ? undefined : {})).status).toBe(401);
    }
  });

  it('answers 403 when a client calls what only operators may do', async () => {
    for (const [method, path] of [
      ['POST', '/orders/x/approve'],
      ['POST', '/orders/x/reject'],
      ['POST', '/orders/x/cancel'],
      ['PUT', '/orders/x/shipping-address'],
      ['POST', '/dead-letters/x/redrive'],
      ['POST', '/projections/orders/rebuild'],
      ['POST', '/inventory'],
      ['POST', '/accounts/x/deposits'],
      ['POST', '/accounts/x/withdrawals'],
      ['GET', '/metrics'],
      ['POST', '/codec/decode'],
    ] as const) {
      const res = await call(method, path, CLIENT_A, method === 'GET' ? undefined : {});
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    // Operators pass authorization (and then meet the normal rules: 404 for an unknown order).
    expect((await call('POST', '/orders/x/approve', OPERATOR, {})).status).toBe(404);
  });

  it('lets a client place and read its own orders only; another customer\'s order is 404', async () => {
    const mine = await orderFor('cust-a', CLIENT_A);
    const theirs = await orderFor('cust-b', CLIENT_B);
    await h.orderView(theirs, 'COMPLETED');
    await h.orderView(mine, 'COMPLETED');

    const forged = await call('POST', '/orders', CLIENT_A, { customerId: 'cust-b', accountId: 'x', items: [{ sku: 'X', quantity: 1 }], shippingAddress: address });
    expect(forged.status).toBe(403);
    expect((await call('GET', `/orders/${mine}`, CLIENT_A)).status).toBe(200);
    expect((await call('GET', `/orders/${mine}/saga`, CLIENT_A)).status).toBe(200);
    expect((await call('GET', `/orders/${theirs}`, CLIENT_A)).status).toBe(404);
    expect((await call('GET', `/orders/${theirs}/saga`, CLIENT_A)).status).toBe(404);
    expect((await call('GET', '/customers/cust-b/orders', CLIENT_A)).status).toBe(404);
    const listed = (await call('GET', '/orders', CLIENT_A)).body.orders as Array<{ customerId: string }>;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((o) => o.customerId === 'cust-a')).toBe(true);
    expect((await call('GET', `/orders/${theirs}`, OPERATOR)).status).toBe(200);
  });

  it("refuses to let a client pay with another customer's account, writing nothing and starting nothing", async () => {
    const alices = await accountOf('cust-a');
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 100);
    const eventsBefore = await stack.mongo.db.collection('events').countDocuments();
    const keysBefore = await stack.mongo.db.collection('idempotency_keys').countDocuments();
    const body = { customerId: 'cust-b', accountId: alices, items: [{ sku, quantity: 1 }], shippingAddress: address };
    const theft = await call('POST', '/orders', CLIENT_B, body);
    expect(theft.status).toBe(422);
    expect(theft.body.error.code).toBe('account_unusable');
    // The same answer as for an account that does not exist: nothing to learn from it.
    const missing = await call('POST', '/orders', CLIENT_B, { ...body, accountId: 'no-such-account' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.message.replace('no-such-account', alices)).toBe(theft.body.error.message);
    const keyed = await http(stack.baseUrl, 'POST', '/orders', body, { ...auth(CLIENT_B), 'idempotency-key': h.unique('theft') });
    expect(keyed.status).toBe(422);
    expect(await stack.mongo.db.collection('events').countDocuments()).toBe(eventsBefore);
    expect(await stack.mongo.db.collection('idempotency_keys').countDocuments()).toBe(keysBefore);
    expect(await h.balance(alices)).toBe(10_000);
    // Alice's own key pays with it.
    const own = await call('POST', '/orders', CLIENT_A, { ...body, customerId: 'cust-a' });
    expect(own.status, own.text).toBe(202);
  });

  it('lets a client open, read and list its own accounts, empty, and nobody else\'s', async () => {
    const opened = await call('POST', '/accounts', CLIENT_A, { owner: 'Alice' });
    expect(opened.status, opened.text).toBe(201);
    expect(opened.body).toMatchObject({ customerId: 'cust-a', balance: 0 });
    expect((await call('POST', '/accounts', CLIENT_A, { owner: 'Alice', initialDeposit: 500 })).status).toBe(403);
    expect((await call('POST', '/accounts', CLIENT_A, { owner: 'Alice', customerId: 'cust-b' })).status).toBe(403);
    expect((await call('GET', `/accounts/${opened.body.accountId}`, CLIENT_A)).body.customerId).toBe('cust-a');
    expect((await call('GET', `/accounts/${opened.body.accountId}/events`, CLIENT_A)).status).toBe(200);
    expect((await call('GET', `/accounts/${opened.body.accountId}`, CLIENT_B)).status).toBe(404);
    expect((await call('POST', `/accounts/${opened.body.accountId}/deposits`, CLIENT_A, { amount: 100 })).status).toBe(403);
    const listed = await call('GET', `/accounts?minPosition=${opened.body.position}&waitMs=10000`, CLIENT_A);
    expect(listed.body.accounts.map((x: { accountId: string }) => x.accountId)).toContain(opened.body.accountId);
    expect(listed.body.accounts.every((x: { customerId: string }) => x.customerId === 'cust-a')).toBe(true);
  });

  it('counts and logs every denied request by route and reason, naming the key by its id only', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) });
    const app = createApp(apiParts({ client: stack.client, db: stack.mongo.db, config: stack.config, log: createLogger('denials', 'warn', sink) }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await http(base, 'POST', '/orders/x/approve', {}, { ...auth(CLIENT_A), 'x-correlation-id': 'denied-corr-1' })).status).toBe(403);
      expect((await http(base, 'GET', '/orders', undefined, { authorization: 'Bearer wrong-key-00000000000' })).status).toBe(401);
      const metrics = (await http(base, 'GET', '/metrics', undefined, auth(OPERATOR))).text;
      expect(metrics).toMatch(/http_requests_denied_total\{route="POST \/orders\/:orderId\/approve",reason="operators-only"\} 1/);
      expect(metrics).toMatch(/http_requests_denied_total\{route="any",reason="invalid-key"\} 1/);
    } finally {
      server.close();
    }
    const denial = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request denied' && l.correlationId === 'denied-corr-1');
    expect(denial).toMatchObject({ keyId: keyIdOf(CLIENT_A), route: 'POST /orders/:orderId/approve', reason: 'operators-only' });
    expect(lines.join('')).not.toContain(CLIENT_A);
  });

  it('names the authenticated key in audit records, whatever header the caller sends', async () => {
    const id = `saga:audit-${Date.now()}:run:step:processPayment`;
    await stack.mongo.db.collection('dead_letters').insertOne({ _id: id as never, source: 'saga', kind: 'step', step: 'processPayment', status: 'open', error: 'test', createdAt: new Date() });
    const res = await http(stack.baseUrl, 'DELETE', `/dead-letters/${encodeURIComponent(id)}`, undefined, { ...auth(OPERATOR), 'x-operator': 'someone-else' });
    expect(res.status, res.text).toBe(202);
    const record = await stack.mongo.db.collection('audit_log').findOne({ deadLetterId: id });
    expect(record?.by).toBe(keyIdOf(OPERATOR));
  });

  it('refuses fault injection in production, even to operators', async () => {
    const res = await call('PUT', '/faults/email', OPERATOR, { mode: 'error' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('fault_injection_disabled');
  });

  it('keeps only ciphertext in Temporal history, and the codec endpoint decrypts for operators only', async () => {
    const orderId = await orderFor('cust-a', CLIENT_A);
    // A client without the codec sees what the Temporal server stores.
    const raw = new Client({ connection: stack.client.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
    const history = await raw.workflow.getHandle(`order-${orderId}`).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(started.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(started.metadata!['encryption-key-id']!).toString()).toBe('k2');
    const everything = JSON.stringify(history.events, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(everything).not.toContain(address.line1);
    expect(everything).not.toContain('cust-a');

    const body = { payloads: [{ metadata: { encoding: Buffer.from(started.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from('k2').toString('base64') }, data: Buffer.from(started.data!).toString('base64') }] };
    const decoded = await call('POST', '/codec/decode', OPERATOR, body);
    expect(decoded.status).toBe(200);
    const clear = Buffer.from(decoded.body.payloads[0].data, 'base64').toString();
    expect(Buffer.from(decoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(clear)).toMatchObject({ orderId, customerId: 'cust-a', shippingAddress: address });
    expect((await call('POST', '/codec/decode', undefined, body)).status).toBe(401);
    expect((await call('POST', '/codec/decode', CLIENT_A, body)).status).toBe(403);
    // Round trip through encode, and the Web UI's CORS preflight.
    const encoded = await call('POST', '/codec/encode', OPERATOR, { payloads: decoded.body.payloads });
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const preflight = await fetch(`${stack.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('sets security headers', async () => {
    const res = await call('GET', '/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('limits the request rate per client with 429', async () => {
    const app = createApp(apiParts({ client: stack.client, db: stack.mongo.db, config: { ...stack.config, RATE_LIMIT_PER_MINUTE: 5 }, log: createLogger('rate', 'silent') }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await http(base, 'GET', '/health')).status);
    server.close();
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(429);
  });

  it('never logs secrets or full card-like numbers', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) });
    const log = createLogger('redaction', 'info', sink);
    log.info({ headers: { authorization: `Bearer ${OPERATOR}` }, apiKey: CLIENT_A, note: 'card 4111 1111 1111 1111 on file' }, 'paid with 5500-0000-0000-0004');
    const text = lines.join('');
    expect(text).not.toContain(OPERATOR);
    expect(text).not.toContain(CLIENT_A);
    expect(text).not.toContain('4111 1111 1111 1111');
    expect(text).not.toContain('5500-0000-0000-0004');
    expect(text).toContain('****1111');
    expect(text).toContain('****0004');
  });
});
