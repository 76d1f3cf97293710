import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { keyIdOf } from '../../api/auth';
import { createLogger } from '../../infra/logger';
import { createApiClient, idempotencyKey } from '../../api/client';
import { apiOf, http, startStack, type Stack } from '../helpers/stack';
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

  /** A raw request, for the tables that send every route the same empty body: the key is checked before anything else. */
  const call = (method: string, path: string, key?: string, body?: unknown) =>
    http(stack.baseUrl, method, path, body, key ? auth(key) : {});
  /** The typed client, calling with `key` (or none). */
  const api = (key?: string) => apiOf(stack, key ? auth(key) : {});
  const order = (orderId: string) => ({ params: { path: { orderId } } });

  async function accountOf(customer: 'cust-a' | 'cust-b', deposit = 10_000): Promise<string> {
    const res = await api(OPERATOR).POST('/accounts', {
      body: { customerId: customer, owner: `${customer} holder`, initialDeposit: deposit },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(201);
    return res.data!.accountId;
  }

  async function orderFor(customer: 'cust-a' | 'cust-b', key: string) {
    const accountId = await accountOf(customer);
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 100);
    const res = await api(key).POST('/orders', {
      body: { customerId: customer, accountId, items: [{ sku, quantity: 1 }], shippingAddress: address },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    await h.result(res.data!.orderId);
    return res.data!.orderId;
  }

  it('answers 401 without a valid API key on every endpoint but /health', async () => {
    expect((await api().GET('/health')).response.status).toBe(200);
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
      expect((await call(method, path, 'not-a-real-key-000000000', method === 'GET' ? undefined : {})).status).toBe(
        401,
      );
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
    expect((await api(OPERATOR).POST('/orders/{orderId}/approve', order('x'))).response.status).toBe(404);
  });

  it("lets a client place and read its own orders only; another customer's order is 404", async () => {
    const mine = await orderFor('cust-a', CLIENT_A);
    const theirs = await orderFor('cust-b', CLIENT_B);
    await h.orderView(theirs, 'COMPLETED');
    await h.orderView(mine, 'COMPLETED');

    const forged = await api(CLIENT_A).POST('/orders', {
      body: { customerId: 'cust-b', accountId: 'x', items: [{ sku: 'X', quantity: 1 }], shippingAddress: address },
    });
    expect(forged.response.status).toBe(403);
    expect((await api(CLIENT_A).GET('/orders/{orderId}', order(mine))).response.status).toBe(200);
    expect((await api(CLIENT_A).GET('/orders/{orderId}/saga', order(mine))).response.status).toBe(200);
    expect((await api(CLIENT_A).GET('/orders/{orderId}', order(theirs))).response.status).toBe(404);
    expect((await api(CLIENT_A).GET('/orders/{orderId}/saga', order(theirs))).response.status).toBe(404);
    expect(
      (await api(CLIENT_A).GET('/customers/{customerId}/orders', { params: { path: { customerId: 'cust-b' } } }))
        .response.status,
    ).toBe(404);
    const listed = (await api(CLIENT_A).GET('/orders')).data!.orders;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((o) => o.customerId === 'cust-a')).toBe(true);
    expect((await api(OPERATOR).GET('/orders/{orderId}', order(theirs))).response.status).toBe(200);
  });

  it("refuses to let a client pay with another customer's account, writing nothing and starting nothing", async () => {
    const alices = await accountOf('cust-a');
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 100);
    const eventsBefore = await stack.mongo.db.collection('events').countDocuments();
    const keysBefore = await stack.mongo.db.collection('idempotency_keys').countDocuments();
    const body = { customerId: 'cust-b', accountId: alices, items: [{ sku, quantity: 1 }], shippingAddress: address };
    const theft = await api(CLIENT_B).POST('/orders', { body });
    expect(theft.response.status).toBe(422);
    expect(theft.error?.error.code).toBe('account_unusable');
    // The same answer as for an account that does not exist: nothing to learn from it.
    const missing = await api(CLIENT_B).POST('/orders', { body: { ...body, accountId: 'no-such-account' } });
    expect(missing.response.status).toBe(422);
    expect(missing.error?.error.message.replace('no-such-account', alices)).toBe(theft.error?.error.message);
    const keyed = await api(CLIENT_B).POST('/orders', { body, params: { header: idempotencyKey(h.unique('theft')) } });
    expect(keyed.response.status).toBe(422);
    expect(await stack.mongo.db.collection('events').countDocuments()).toBe(eventsBefore);
    expect(await stack.mongo.db.collection('idempotency_keys').countDocuments()).toBe(keysBefore);
    expect(await h.balance(alices)).toBe(10_000);
    // Alice's own key pays with it.
    const own = await api(CLIENT_A).POST('/orders', { body: { ...body, customerId: 'cust-a' } });
    expect(own.response.status, JSON.stringify(own.error)).toBe(202);
  });

  it("lets a client open, read and list its own accounts, empty, and nobody else's", async () => {
    const opened = await api(CLIENT_A).POST('/accounts', { body: { owner: 'Alice' } });
    expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
    expect(opened.data).toMatchObject({ customerId: 'cust-a', balance: 0 });
    expect(
      (await api(CLIENT_A).POST('/accounts', { body: { owner: 'Alice', initialDeposit: 500 } })).response.status,
    ).toBe(403);
    expect(
      (await api(CLIENT_A).POST('/accounts', { body: { owner: 'Alice', customerId: 'cust-b' } })).response.status,
    ).toBe(403);
    const account = { params: { path: { id: opened.data!.accountId } } };
    expect((await api(CLIENT_A).GET('/accounts/{id}', account)).data?.customerId).toBe('cust-a');
    expect((await api(CLIENT_A).GET('/accounts/{id}/events', account)).response.status).toBe(200);
    expect((await api(CLIENT_B).GET('/accounts/{id}', account)).response.status).toBe(404);
    expect(
      (await api(CLIENT_A).POST('/accounts/{id}/deposits', { ...account, body: { amount: 100 } })).response.status,
    ).toBe(403);
    const listed = await api(CLIENT_A).GET('/accounts', {
      params: { query: { minPosition: opened.data!.position as number, waitMs: 10_000 } },
    });
    expect(listed.data!.accounts.map((x) => x.accountId)).toContain(opened.data!.accountId);
    expect(listed.data!.accounts.every((x) => x.customerId === 'cust-a')).toBe(true);
  });

  it('counts and logs every denied request by route and reason, naming the key by its id only', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) });
    const app = createApp(
      apiParts({
        client: stack.client,
        db: stack.mongo.db,
        config: stack.config,
        log: createLogger('denials', 'warn', sink),
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const as = (headers: Record<string, string>) => createApiClient({ baseUrl, headers });
    try {
      expect(
        (
          await as(auth(CLIENT_A)).POST('/orders/{orderId}/approve', {
            ...order('x'),
            headers: { 'x-correlation-id': 'denied-corr-1' },
          })
        ).response.status,
      ).toBe(403);
      expect((await as({ authorization: 'Bearer wrong-key-00000000000' }).GET('/orders')).response.status).toBe(401);
      const metrics = (await as(auth(OPERATOR)).GET('/metrics', { parseAs: 'text' })).data;
      expect(metrics).toMatch(
        /http_requests_denied_total\{route="POST \/orders\/:orderId\/approve",reason="operators-only"\} 1/,
      );
      expect(metrics).toMatch(/http_requests_denied_total\{route="any",reason="invalid-key"\} 1/);
    } finally {
      server.close();
    }
    const denial = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request denied' && l.correlationId === 'denied-corr-1');
    expect(denial).toMatchObject({
      keyId: keyIdOf(CLIENT_A),
      route: 'POST /orders/:orderId/approve',
      reason: 'operators-only',
    });
    expect(lines.join('')).not.toContain(CLIENT_A);
  });

  it('names the authenticated key in audit records, whatever header the caller sends', async () => {
    const id = `saga:audit-${Date.now()}:run:step:processPayment`;
    await stack.mongo.db.collection('dead_letters').insertOne({
      _id: id as never,
      source: 'saga',
      kind: 'step',
      step: 'processPayment',
      status: 'open',
      error: 'test',
      createdAt: new Date(),
    });
    const res = await api(OPERATOR).DELETE('/dead-letters/{id}', {
      params: { path: { id } },
      headers: { 'x-operator': 'someone-else' },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    const record = await stack.mongo.db.collection('audit_log').findOne({ deadLetterId: id });
    expect(record?.by).toBe(keyIdOf(OPERATOR));
  });

  it('refuses fault injection in production, even to operators', async () => {
    const res = await api(OPERATOR).PUT('/faults/{service}', {
      params: { path: { service: 'email' } },
      body: { mode: 'error' },
    });
    expect(res.response.status).toBe(403);
    expect(res.error?.error.code).toBe('fault_injection_disabled');
  });

  it('keeps only ciphertext in Temporal history, and the codec endpoint decrypts for operators only', async () => {
    const orderId = await orderFor('cust-a', CLIENT_A);
    // A client without the codec sees what the Temporal server stores.
    const raw = new Client({ connection: stack.client.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
    const history = await raw.workflow.getHandle(`order-${orderId}`).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(started.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(started.metadata!['encryption-key-id']!).toString()).toBe('k2');
    const everything = JSON.stringify(history.events, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
    );
    expect(everything).not.toContain(address.line1);
    expect(everything).not.toContain('cust-a');

    const body = {
      payloads: [
        {
          metadata: {
            encoding: Buffer.from(started.metadata!.encoding!).toString('base64'),
            'encryption-key-id': Buffer.from('k2').toString('base64'),
          },
          data: Buffer.from(started.data!).toString('base64'),
        },
      ],
    };
    // The contract leaves the codec's answers undescribed (Temporal's remote codec format).
    type Payloads = { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    const decoded = await api(OPERATOR).POST('/codec/decode', { body });
    expect(decoded.response.status).toBe(200);
    const decodedPayloads = (decoded.data as unknown as Payloads).payloads;
    const clear = Buffer.from(decodedPayloads[0]!.data, 'base64').toString();
    expect(Buffer.from(decodedPayloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(clear)).toMatchObject({ orderId, customerId: 'cust-a', shippingAddress: address });
    expect((await api().POST('/codec/decode', { body })).response.status).toBe(401);
    expect((await api(CLIENT_A).POST('/codec/decode', { body })).response.status).toBe(403);
    // Round trip through encode, and the Web UI's CORS preflight (raw: an OPTIONS request is no operation of the contract).
    const encoded = await api(OPERATOR).POST('/codec/encode', { body: { payloads: decodedPayloads } });
    expect(
      Buffer.from((encoded.data as unknown as Payloads).payloads[0]!.metadata.encoding!, 'base64').toString(),
    ).toBe('binary/encrypted');
    const preflight = await fetch(`${stack.baseUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('sets security headers', async () => {
    const { response } = await api().GET('/health');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBeTruthy();
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('limits the request rate per client with 429', async () => {
    const app = createApp(
      apiParts({
        client: stack.client,
        db: stack.mongo.db,
        config: { ...stack.config, RATE_LIMIT_PER_MINUTE: 5 },
        log: createLogger('rate', 'silent'),
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    const limited = createApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await limited.GET('/health')).response.status);
    server.close();
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(429);
  });

  it('never logs secrets or full card-like numbers', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) });
    const log = createLogger('redaction', 'info', sink);
    log.info(
      { headers: { authorization: `Bearer ${OPERATOR}` }, apiKey: CLIENT_A, note: 'card 4111 1111 1111 1111 on file' },
      'paid with 5500-0000-0000-0004',
    );
    const text = lines.join('');
    expect(text).not.toContain(OPERATOR);
    expect(text).not.toContain(CLIENT_A);
    expect(text).not.toContain('4111 1111 1111 1111');
    expect(text).not.toContain('5500-0000-0000-0004');
    expect(text).toContain('****1111');
    expect(text).toContain('****0004');
  });
});
