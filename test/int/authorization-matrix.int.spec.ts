import { createHash, randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_POLICY, openApiPath, type RouteKey } from '../../api/access-policy';
import { CONTRACT, type ResponseSpec } from '../../api/contract';
import { createApp } from '../../api/app';
import { openApiDocument } from '../../api/openapi';
import { policedRouter } from '../../api/policed-router';
import { createLogger } from '../../infra/logger';
import { authorizationCells, expected, type Caller } from '../helpers/authorization-cells';
import { address, fastSaga, sagaHelpers } from '../helpers/saga';
import { dataOf, type Answer } from '../../api/client';
import { apiOf, http, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { apiParts } from '../../composition';

/**
 * The authorization matrix, generated from the routes Express actually serves and the access
 * policy: every route × every caller (no key, an invalid key, the owner's client key, another
 * customer's client key, an operator key) × (where the route takes a resource) the caller's own
 * resource and someone else's. Each cell expects the status the policy declares; each denied cell
 * also checks that nothing was written (every collection and Temporal's visibility, before and
 * after) and that nothing of the other customer leaked into the answer.
 */
const OPERATOR = 'matrix-operator-key-0123456789';
const KEY_A = 'matrix-client-a-key-0123456789';
const KEY_B = 'matrix-client-b-key-0123456789';
const headersOf: Record<Caller, Record<string, string>> = {
  none: {},
  invalid: { authorization: 'Bearer not-a-key-of-this-system-000' },
  owner: { authorization: `Bearer ${KEY_A}` },
  other: { authorization: `Bearer ${KEY_B}` },
  operator: { authorization: `Bearer ${OPERATOR}` },
};

/** Customer A's resources (the "own" ones for the owner key) and B's. */
interface World {
  customer: string;
  accountId: string;
  orderId: string;
  /** Strings only this customer's data contains: they must never reach the other customer. */
  secrets: string[];
}

interface Call {
  path: string;
  body?: unknown;
  /** Statuses an allowed caller may get (the route's own rules then apply: unknown ids, states). */
  ok: number[];
}

/** One request per route, aimed at a customer's resources. Typed: a route without one does not compile. */
const CALLS: Record<RouteKey, (w: World, sku: string) => Call> = {
  'GET /health': () => ({ path: '/health', ok: [200] }),
  'GET /health/ready': () => ({ path: '/health/ready', ok: [200] }),
  'GET /health/read-side': () => ({ path: '/health/read-side', ok: [200, 503] }),
  'GET /openapi.json': () => ({ path: '/openapi.json', ok: [200] }),
  'GET /metrics': () => ({ path: '/metrics', ok: [200] }),
  'POST /orders': (w, sku) => ({
    path: '/orders',
    body: { customerId: w.customer, accountId: w.accountId, items: [{ sku, quantity: 1 }], shippingAddress: address },
    ok: [202],
  }),
  'GET /orders': () => ({ path: '/orders', ok: [200] }),
  'GET /orders/:orderId': (w) => ({ path: `/orders/${w.orderId}`, ok: [200] }),
  'GET /orders/:orderId/saga': (w) => ({ path: `/orders/${w.orderId}/saga`, ok: [200] }),
  'GET /orders/unsettled': () => ({ path: '/orders/unsettled', ok: [200] }),
  'POST /orders/:orderId/approve': (w) => ({ path: `/orders/${w.orderId}/approve`, body: {}, ok: [409] }),
  'POST /orders/:orderId/reject': (w) => ({ path: `/orders/${w.orderId}/reject`, body: {}, ok: [409] }),
  'POST /orders/:orderId/cancel': (w) => ({ path: `/orders/${w.orderId}/cancel`, body: {}, ok: [409] }),
  'POST /orders/:orderId/repair': (w) => ({
    path: `/orders/${w.orderId}/repair`,
    body: { action: 'retry' },
    ok: [409],
  }),
  'PUT /orders/:orderId/shipping-address': (w) => ({
    path: `/orders/${w.orderId}/shipping-address`,
    body: address,
    ok: [409],
  }),
  'GET /customers/:customerId/orders': (w) => ({ path: `/customers/${w.customer}/orders`, ok: [200] }),
  'GET /customers/:customerId/sagas': (w) => ({ path: `/customers/${w.customer}/sagas`, ok: [200] }),
  // A customer of its own: erasing A or B would change what the other cells read.
  'DELETE /customers/:customerId/personal-data': () => ({
    path: '/customers/matrix-erasable/personal-data',
    ok: [200],
  }),
  'POST /accounts': (w) => ({ path: '/accounts', body: { customerId: w.customer, owner: 'matrix opener' }, ok: [201] }),
  'GET /accounts': () => ({ path: '/accounts', ok: [200] }),
  'GET /accounts/:id': (w) => ({ path: `/accounts/${w.accountId}`, ok: [200] }),
  'GET /accounts/:id/events': (w) => ({ path: `/accounts/${w.accountId}/events`, ok: [200] }),
  'POST /accounts/:id/deposits': (w) => ({ path: `/accounts/${w.accountId}/deposits`, body: { amount: 1 }, ok: [200] }),
  'POST /accounts/:id/withdrawals': (w) => ({
    path: `/accounts/${w.accountId}/withdrawals`,
    body: { amount: 1 },
    ok: [200],
  }),
  'POST /inventory': (_w, sku) => ({ path: '/inventory', body: { sku, quantity: 1, price: 100 }, ok: [200] }),
  'GET /inventory': () => ({ path: '/inventory', ok: [200] }),
  'GET /inventory/:sku': (_w, sku) => ({ path: `/inventory/${sku}`, ok: [200] }),
  'GET /analytics/sales': () => ({ path: '/analytics/sales', ok: [200] }),
  'GET /projections': () => ({ path: '/projections', ok: [200] }),
  'POST /projections/:name/rebuild': () => ({ path: '/projections/sales/rebuild', body: {}, ok: [202, 409] }),
  'GET /dead-letters': () => ({ path: '/dead-letters', ok: [200] }),
  'GET /dead-letters/:id': () => ({ path: '/dead-letters/none', ok: [404] }),
  'POST /dead-letters/:id/redrive': () => ({ path: '/dead-letters/none/redrive', body: {}, ok: [404] }),
  'DELETE /dead-letters/:id': () => ({ path: '/dead-letters/none', ok: [404] }),
  'GET /emails': () => ({ path: '/emails', ok: [200] }),
  // Production refuses fault injection even to operators, with its own code.
  'GET /faults': () => ({ path: '/faults', ok: [403] }),
  'PUT /faults/:service': () => ({ path: '/faults/email', body: { mode: 'error' }, ok: [403] }),
  'DELETE /faults/:service': () => ({ path: '/faults/email', ok: [403] }),
  // Closing a closed breaker changes nothing: the cell checks who may ask, not what it does.
  'GET /breakers': () => ({ path: '/breakers', ok: [200] }),
  'PUT /breakers/:service': () => ({
    path: '/breakers/email',
    body: { state: 'closed', reason: 'authorization matrix' },
    ok: [200],
  }),
  'POST /codec/encode': () => ({ path: '/codec/encode', body: { payloads: [] }, ok: [200] }),
  'POST /codec/decode': () => ({ path: '/codec/decode', body: { payloads: [] }, ok: [200] }),
  'GET /streams/:streamId/events': (w) => ({ path: `/streams/order-${w.orderId}/events`, ok: [200] }),
  'GET /streams/:streamId/state': (w) => ({ path: `/streams/account-${w.accountId}/state`, ok: [200] }),
  'GET /orders/:orderId/events': (w) => ({ path: `/orders/${w.orderId}/events`, ok: [200] }),
  // A feed bounded to one second, so the cell ends (no events are due: everything has settled).
  'GET /live': () => ({ path: '/live?maxSeconds=1', ok: [200] }),
};

/** Every METHOD /path that the Express app serves, found by walking its router. */
function servedRoutes(app: Express): string[] {
  const routes: string[] = [];
  const walk = (
    stack: Array<{ route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }>,
  ) => {
    for (const layer of stack) {
      if (layer.route)
        for (const method of Object.keys(layer.route.methods))
          routes.push(`${method.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack as never);
    }
  };
  walk((app as unknown as { router: { stack: never } }).router.stack);
  return routes;
}

describe('authorization matrix: every route × every caller × own and other resources, from the access policy', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  let app: Express;
  let a: World;
  let b: World;
  let sku: string;

  beforeAll(async () => {
    stack = await startStack({
      ...fastSaga,
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: 1_000_000,
      API_KEYS: [
        { key: OPERATOR, role: 'operator', customerId: undefined },
        { key: KEY_A, role: 'client', customerId: 'matrix-a' },
        { key: KEY_B, role: 'client', customerId: 'matrix-b' },
      ],
      PAYLOAD_KEYS: new Map([['k1', randomBytes(32)]]),
      PAYLOAD_KEY_ID: 'k1',
      // The breakers' held successes (the email sends') are written soon after the last send, before the cells.
      BREAKER_SUCCESS_FLUSH_MS: 100,
    });
    app = createApp(
      apiParts({
        client: stack.client,
        db: stack.mongo.db,
        config: stack.config,
        log: createLogger('matrix', 'silent'),
      }),
    );
    h = sagaHelpers(stack, headersOf.operator);
    sku = h.unique('MATRIX');
    await h.stock(sku, 1_000, 100);
    const world = async (customer: string, key: string): Promise<World> => {
      const owner = `${customer} holder ${randomBytes(4).toString('hex')}`;
      const opened = await apiOf(stack, headersOf.operator).POST('/accounts', {
        body: { customerId: customer, owner, initialDeposit: 100_000 },
      });
      expect(opened.response.status, JSON.stringify(opened.error)).toBe(201);
      const { accountId } = opened.data!;
      const street = `${randomBytes(4).toString('hex')} Secret Street`;
      const placed = await apiOf(stack, { authorization: `Bearer ${key}` }).POST('/orders', {
        body: {
          customerId: customer,
          accountId,
          items: [{ sku, quantity: 1 }],
          shippingAddress: { ...address, line1: street },
        },
      });
      expect(placed.response.status, JSON.stringify(placed.error)).toBe(202);
      const { orderId } = placed.data!;
      await h.result(orderId);
      await h.orderView(orderId, 'COMPLETED');
      return { customer, accountId, orderId, secrets: [owner, street, accountId, orderId] };
    };
    a = await world('matrix-a', KEY_A);
    b = await world('matrix-b', KEY_B);
    // Quiet: every saga closed and the read models caught up, so a denied cell's diff sees only itself.
    await waitFor('the projections to catch up', async () => {
      const { projections } = await dataOf(apiOf(stack, headersOf.operator).GET('/projections'));
      return projections.every((p) => p.lagEvents === 0);
    });
    // …and every checkpoint written, the lazy ones too (the email service's is no projection's).
    const head = await h.store.headPosition();
    await waitFor('every checkpoint at the head of the log', async () =>
      (await stack.mongo.db.collection('checkpoints').find({}).toArray()).every((c) => c.position >= head),
    );
    // …and the breakers' windows still: a success is written up to BREAKER_SUCCESS_FLUSH_MS after its call.
    let last = '';
    let stillSince = Date.now();
    await waitFor("the breakers' windows to hold still", async () => {
      const now = JSON.stringify(
        await stack.mongo.db.collection('breaker_windows').find({}).sort({ _id: 1 }).toArray(),
      );
      if (now !== last) [last, stillSince] = [now, Date.now()];
      return Date.now() - stillSince >= 5 * stack.config.BREAKER_SUCCESS_FLUSH_MS;
    });
  }, 120_000);
  afterAll(() => stack?.stop());

  it('serves exactly the routes the policy declares, and documents each of them', () => {
    const served = servedRoutes(app).sort();
    const declared = Object.keys(ACCESS_POLICY).sort();
    expect(served).toEqual(declared);
    const documented = Object.entries(openApiDocument().paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(
      declared.map((r) => `${r.split(' ')[0]} ${openApiPath(r.split(' ')[1]!)}`).sort(),
    );
    expect(Object.keys(CALLS).sort()).toEqual(declared);
  });

  it('refuses to register a route that has no policy', () => {
    const router = policedRouter({
      ownership: { isOrderCustomer: async () => false, isAccountHolder: async () => false },
      denied: () => {},
    });
    expect(() => router.get('/brand-new-route', (_req, res) => void res.json({}))).toThrow(/no entry in ACCESS_POLICY/);
  });

  /** Everything the system holds, as one digest per collection, plus the workflows Temporal knows. */
  async function snapshot(): Promise<Record<string, string>> {
    const db = stack.mongo.db;
    const digests: Record<string, string> = {};
    for (const { name } of await db.listCollections().toArray()) {
      // Heartbeats, progress and lease renewals are written on their own schedule, not by requests.
      const docs = await db
        .collection(name)
        .find({}, { projection: { heartbeatAt: 0, progressAt: 0, expiresAt: 0 } })
        .sort({ _id: 1 })
        .toArray();
      digests[name] = createHash('sha256').update(JSON.stringify(docs)).digest('hex');
    }
    let workflows = 0;
    for await (const _ of stack.client.workflow.list({ query: `TaskQueue = '${stack.config.TASK_QUEUE}'` }))
      workflows++;
    digests.temporal = String(workflows);
    return digests;
  }

  // The cells send generated method, path and body combinations, so they are raw requests.
  const { denied, allowed } = authorizationCells();

  it(`denies ${denied.length} cells as declared, writing nothing and leaking nothing`, async () => {
    const failures: string[] = [];
    for (const cell of denied) {
      const want = expected(cell.access, cell.caller, cell.own) as { status: number; code: string };
      // "own" is the caller's own customer; the owner key is A, the other key is B.
      const target = (cell.caller === 'other') === cell.own ? b : a;
      const call = CALLS[cell.route](target, sku);
      const method = cell.route.split(' ')[0]!;
      const before = await snapshot();
      const res = await http(stack.baseUrl, method, call.path, call.body, headersOf[cell.caller]);
      const after = await snapshot();
      const label = `${cell.route} as ${cell.caller} on ${cell.own ? 'own' : "someone else's"} resource`;
      if (res.status !== want.status || res.body?.error?.code !== want.code)
        failures.push(`${label}: ${res.status} ${res.text.slice(0, 120)}, expected ${want.status} ${want.code}`);
      const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
      if (changed.length) failures.push(`${label}: wrote to ${changed.join(', ')}`);
      const sent = `${call.path} ${JSON.stringify(call.body ?? '')}`;
      const victim = cell.caller === 'owner' ? b : a;
      for (const secret of victim.secrets)
        if (!sent.includes(secret) && res.text.includes(secret)) failures.push(`${label}: leaked ${secret}`);
    }
    expect(failures).toEqual([]);
    expect(denied.length).toBeGreaterThan(100);
  }, 300_000);

  it(`lets through the ${allowed.length} cells the policy allows, each answering with the body the contract declares`, async () => {
    const failures: string[] = [];
    let bodiesChecked = 0;
    for (const cell of allowed) {
      const mine = cell.caller === 'other' ? b : a;
      const target = cell.own ? mine : mine === a ? b : a;
      const call = CALLS[cell.route](target, sku);
      const res = await http(stack.baseUrl, cell.route.split(' ')[0]!, call.path, call.body, headersOf[cell.caller]);
      if (!call.ok.includes(res.status))
        failures.push(
          `${cell.route} as ${cell.caller} on ${cell.own ? 'own' : "someone else's"}: ${res.status} ${res.text.slice(0, 160)}, expected ${call.ok.join('/')}`,
        );
      if (res.status === 403 && res.body?.error?.code === 'forbidden')
        failures.push(`${cell.route} as ${cell.caller}: refused by the policy`);
      // The answer has the shape the contract (and so the OpenAPI document) promises.
      const promised = (CONTRACT[cell.route].responses as Record<string, ResponseSpec>)[String(res.status)];
      if (promised && typeof promised !== 'string') {
        const checked = promised.body.safeParse(res.body);
        if (!checked.success)
          failures.push(
            `${cell.route} as ${cell.caller}: ${res.status} body breaks the contract: ${checked.error.message.slice(0, 300)}`,
          );
        else bodiesChecked++;
      }
    }
    expect(failures).toEqual([]);
    // Nearly every allowed call's answer was checked against a declared body.
    expect(bodiesChecked).toBeGreaterThan(allowed.length / 2);
  }, 300_000);

  it('shows a client only its own accounts and orders in lists', async () => {
    // Read as text, so that the whole answers are searched for B's secrets.
    const owner = apiOf(stack, headersOf.owner);
    const accounts = await owner.GET('/accounts', { parseAs: 'text' });
    expect(accounts.response.status).toBe(200);
    const accountList = (JSON.parse(accounts.data!) as Answer<'/accounts', 'get', 200>).accounts;
    expect(accountList.length).toBeGreaterThan(0);
    expect(accountList.every((x) => x.customerId === a.customer)).toBe(true);
    const orders = await owner.GET('/orders', { parseAs: 'text' });
    expect(
      (JSON.parse(orders.data!) as Answer<'/orders', 'get', 200>).orders.every((x) => x.customerId === a.customer),
    ).toBe(true);
    for (const secret of b.secrets) expect(accounts.data! + orders.data!).not.toContain(secret);
  });
});
