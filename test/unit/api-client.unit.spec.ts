import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, dataOf, idempotencyKey, retryingFetch } from '../../api/client';

/** A stand-in API that answers from a script, one answer per request, and records what it was sent. */
const script: Array<[number, object]> = [];
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const [status, answer] = script.shift() ?? [
        500,
        { error: { code: 'unscripted', message: 'no answer scripted' } },
      ];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const order = {
  customerId: 'c-1',
  accountId: 'a-1',
  items: [{ sku: 'SKU-1', quantity: 1 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};
const placed = {
  orderId: 'o-1',
  workflowId: 'order-o-1',
  status: 'PENDING',
  total: 100,
  items: [],
  requiresApproval: false,
};

describe('the typed HTTP client', () => {
  it('sends the API key and the Idempotency-Key, and fills the path parameters', async () => {
    seen.length = 0;
    script.push([202, placed], [200, { orderId: 'o/1' }]);
    const api = createApiClient({ baseUrl, apiKey: 'secret-key' });
    await dataOf(api.POST('/orders', { params: { header: idempotencyKey('k-1') }, body: order }));
    await api.GET('/orders/{orderId}', { params: { path: { orderId: 'o/1' } } });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: 'Bearer secret-key', 'idempotency-key': 'k-1', 'content-type': 'application/json' },
    });
    expect(JSON.parse(seen[0]!.body)).toEqual(order);
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/orders/o%2F1' });
  });

  it('dataOf turns an error answer into an Error naming the path, the status and the error', async () => {
    script.push([422, { error: { code: 'unknown_sku', message: 'no such SKU' } }]);
    await expect(dataOf(createApiClient({ baseUrl }).POST('/orders', { body: order }))).rejects.toThrow(
      /\/orders answered 422: .*unknown_sku/,
    );
  });

  it('retryingFetch retries 5xx, 429 and idempotency_in_progress with the same body, and returns other answers as they are', async () => {
    seen.length = 0;
    script.push(
      [503, { error: { code: 'unavailable', message: 'down' } }],
      [429, { error: { code: 'rate_limited', message: 'slow down' } }],
      [409, { error: { code: 'idempotency_in_progress', message: 'running' } }],
      [202, placed],
    );
    const api = createApiClient({ baseUrl, fetch: retryingFetch({ deadlineMs: 10_000 }) });
    const { data, response } = await api.POST('/orders', { params: { header: idempotencyKey('k-2') }, body: order });
    expect(response.status).toBe(202);
    expect(data?.orderId).toBe('o-1');
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['k-2', 'k-2', 'k-2', 'k-2']);
    expect(seen.map((s) => JSON.parse(s.body))).toEqual([order, order, order, order]);

    seen.length = 0;
    script.push([409, { error: { code: 'too_late', message: 'past the point of no return' } }]);
    const refused = await api.POST('/orders/{orderId}/cancel', { params: { path: { orderId: 'o-1' } } });
    expect(refused.response.status).toBe(409);
    expect(seen).toHaveLength(1);
  });

  it('retryingFetch gives up at its deadline, naming the request and the last answer', async () => {
    for (let i = 0; i < 50; i++) script.push([503, { error: { code: 'unavailable', message: 'down' } }]);
    const api = createApiClient({ baseUrl, fetch: retryingFetch({ deadlineMs: 300 }) });
    await expect(api.GET('/projections')).rejects.toThrow(/GET \/projections kept failing for \d+ ms: 503/);
    script.length = 0;
  });
});
