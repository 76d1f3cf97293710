import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '../../../api/client';
import { ERASED } from '../../../domain/personal-data';
import { startKeyedStack } from '../../helpers/keyed-stack';
import { address, sagaHelpers } from '../../helpers/saga';
import { apiOf, http, type Stack } from '../../helpers/stack';

const OPERATOR = 'streams-operator-key-0123456789';
const KEY_A = 'streams-client-a-key-0123456789';
const KEY_B = 'streams-client-b-key-0123456789';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

interface World {
  customer: string;
  accountId: string;
  orderId: string;
  street: string;
  total: number;
  placedAt: number;
}

/**
 * The routes an operator console browses the event log with, against the real servers: any
 * stream's events, an aggregate's state then and now, an order's timeline across its streams, and
 * the order list by creation time and customer. A client reaches only its own orders' and
 * accounts' streams, even by their exact ids.
 */
describe('streams and timelines: GET /streams/:streamId/events, /state, GET /orders/:orderId/events, GET /orders by time', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  let a: World;
  let b: World;
  let sku: string;

  const get = (path: string, key = OPERATOR) => http(stack.baseUrl, 'GET', path, undefined, auth(key));

  beforeAll(async () => {
    stack = await startKeyedStack(OPERATOR, { [KEY_A]: 'streams-a', [KEY_B]: 'streams-b' });
    h = sagaHelpers(stack, auth(OPERATOR));
    sku = h.unique('STREAMS');
    await h.stock(sku, 1_000, 250);
    const world = async (customer: string, key: string): Promise<World> => {
      const { accountId } = await dataOf(
        apiOf(stack, auth(OPERATOR)).POST('/accounts', {
          body: { customerId: customer, owner: `${customer} holder`, initialDeposit: 100_000 },
        }),
      );
      const street = `${randomBytes(4).toString('hex')} Stream Street`;
      const placedAt = Date.now();
      const placed = await dataOf(
        apiOf(stack, auth(key)).POST('/orders', {
          body: {
            customerId: customer,
            accountId,
            items: [{ sku, quantity: 2 }],
            shippingAddress: { ...address, line1: street },
          },
        }),
      );
      await h.result(placed.orderId);
      await h.orderView(placed.orderId, 'COMPLETED');
      return { customer, accountId, orderId: placed.orderId, street, total: placed.total!, placedAt };
    };
    a = await world('streams-a', KEY_A);
    b = await world('streams-b', KEY_B);
  }, 120_000);
  afterAll(() => stack?.stop());

  it("browses a stream's events with metadata, position and time, a page at a time", async () => {
    const res = await get(`/streams/order-${a.orderId}/events`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ streamId: `order-${a.orderId}`, streamType: 'order', nextVersion: null });
    const events = res.body.events as Array<Record<string, any>>;
    expect(events.map((e) => e.version)).toEqual(events.map((_e, i) => i + 1));
    expect(res.body.version).toBe(events.length);
    expect(events[0]).toMatchObject({ type: 'OrderCreated', metadata: { eventId: expect.any(String) } });
    expect(events.at(-1)!.type).toBe('OrderCompleted');
    expect(Date.parse(events[0]!.metadata.timestamp)).toBeGreaterThan(0);
    const positions = events.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    // Personal data opened, as GET /orders/:orderId/saga shows it.
    expect(events[0]!.data.shippingAddress.line1).toBe(a.street);

    const first = await get(`/streams/order-${a.orderId}/events?limit=1`);
    expect(first.body.events.map((e: { version: number }) => e.version)).toEqual([1]);
    expect(first.body.nextVersion).toBe(2);
    const second = await get(`/streams/order-${a.orderId}/events?fromVersion=2&limit=1`);
    expect(second.body.events.map((e: { version: number }) => e.version)).toEqual([2]);
    const past = await get(`/streams/order-${a.orderId}/events?fromVersion=${events.length + 1}`);
    expect(past.body).toMatchObject({ events: [], nextVersion: null });

    // Any stream, for operators: the SKU's stock adjustments, the account's movements.
    expect((await get(`/streams/sku-${sku}/events`)).body.events[0].type).toBe('StockAdjusted');
    const account = await get(`/streams/account-${a.accountId}/events`);
    expect(account.body.events.map((e: { type: string }) => e.type)).toEqual(['AccountOpened', 'Withdrawn']);
  });

  it('answers the account state at a version and as of an instant beside its state now, with what changed', async () => {
    const res = await get(`/streams/account-${a.accountId}/state?version=1`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.then).toMatchObject({ version: 1, state: { status: 'open', balance: 100_000 } });
    expect(res.body.now).toMatchObject({ version: 2, state: { status: 'open', balance: 100_000 - a.total } });
    expect(res.body.changes).toEqual(
      expect.arrayContaining([{ path: 'balance', then: 100_000, now: 100_000 - a.total }]),
    );
    expect(res.body.changes.map((c: { path: string }) => c.path)).not.toContain('status');
    // The same as GET /accounts/:id answers for that version (the same fold).
    const account = await get(`/accounts/${a.accountId}?version=1`);
    expect(account.body.balance).toBe(res.body.then.state.balance);
    // Opened personal data, as GET /accounts/:id shows it.
    expect(res.body.now.state.owner).toBe('streams-a holder');

    const opened = res.body.then.timestamp as string;
    const asOf = await get(`/streams/account-${a.accountId}/state?asOf=${encodeURIComponent(opened)}`);
    expect(asOf.body.then).toMatchObject({ version: 1, state: { balance: 100_000 } });
    const now = await get(`/streams/account-${a.accountId}/state`);
    expect(now.body.then).toEqual(now.body.now);
    expect(now.body.changes).toEqual([]);
  });

  it("replays an order's, a payment's and a shipment's decider too", async () => {
    const order = await get(`/streams/order-${a.orderId}/state?version=1`);
    expect(order.status, order.text).toBe(200);
    expect(order.body.now.state.status).toBe('COMPLETED');
    expect(order.body.changes).toEqual(
      expect.arrayContaining([{ path: 'status', then: order.body.then.state.status, now: 'COMPLETED' }]),
    );
    expect(order.body.then.state.status).not.toBe('COMPLETED');
    const payment = await get(`/streams/payment-${a.orderId}/state`);
    expect(payment.body.now.state).toMatchObject({ status: 'charged', accountId: a.accountId, amount: a.total });
    const shipment = await get(`/streams/shipment-${a.orderId}/state`);
    expect(shipment.status, shipment.text).toBe(200);
    expect(shipment.body.streamType).toBe('shipment');
  });

  it('refuses bad input with a 4xx naming the problem, and an unknown stream or point with 404', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['/streams/$gaps/events', 400, /streamId/],
      ['/streams/order-x/events?fromVersion=0', 400, /fromVersion/],
      ['/streams/order-x/events?limit=5000', 400, /limit/],
      ['/streams/order-x/events?limit=abc', 400, /limit/],
      ['/streams/order-x/events?version=1', 400, /version|unrecognized/i],
      [`/streams/sku-${'x'}/state`, 400, /decider/],
      [`/streams/account-${'x'}/state?version=abc`, 400, /version/],
      [`/streams/account-${'x'}/state?asOf=yesterday`, 400, /asOf/],
      ['/streams/order-does-not-exist/events', 404, /Stream order-does-not-exist not found/],
      ['/streams/order-does-not-exist/state', 404, /not found/],
      [`/streams/account-${'placeholder'}/state?version=3`, 404, /not found/],
      [`/streams/account-${'placeholder'}/state?asOf=2001-01-01T00:00:00Z`, 404, /as of 2001/],
      ['/orders/does-not-exist/events', 404, /Order does-not-exist/],
    ];
    for (const [path, status, message] of cases) {
      const res = await get(path.replace('placeholder', a.accountId));
      expect(res.status, `${path}: ${res.text}`).toBe(status);
      expect(res.body.error.message, path).toMatch(message);
    }
  });

  it("shows a client its own orders' and accounts' streams, and nobody else's even by exact id", async () => {
    for (const stream of [
      `order-${a.orderId}`,
      `payment-${a.orderId}`,
      `shipment-${a.orderId}`,
      `account-${a.accountId}`,
    ]) {
      expect((await get(`/streams/${stream}/events`, KEY_A)).status, stream).toBe(200);
      expect((await get(`/streams/${stream}/events`, KEY_B)).status, stream).toBe(404);
    }
    expect((await get(`/streams/reservation-${a.orderId}/events`, KEY_A)).status).toBe(200);
    expect((await get(`/streams/account-${a.accountId}/state?version=1`, KEY_A)).status).toBe(200);
    for (const path of [
      `/streams/order-${b.orderId}/events`,
      `/streams/account-${b.accountId}/events`,
      `/streams/account-${b.accountId}/state`,
      `/streams/order-${b.orderId}/state?version=1`,
      `/orders/${b.orderId}/events`,
      // Streams that are no customer's read as unknown, so a client learns nothing of them.
      `/streams/sku-${sku}/events`,
      '/streams/order-does-not-exist/events',
    ]) {
      const res = await get(path, KEY_A);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      // Nothing of B's beyond what the request itself named.
      for (const secret of [b.street, b.accountId, b.orderId, 'streams-b holder'])
        if (!path.includes(secret)) expect(res.text).not.toContain(secret);
    }
  });

  it("merges an order's events from every stream it touches on one timeline by global position", async () => {
    const res = await get(`/orders/${a.orderId}/events`, KEY_A);
    expect(res.status, res.text).toBe(200);
    const events = res.body.events as Array<{ streamId: string; type: string; position: number; data: any }>;
    expect(new Set(res.body.streams)).toEqual(
      new Set([
        `order-${a.orderId}`,
        `payment-${a.orderId}`,
        `reservation-${a.orderId}`,
        `shipment-${a.orderId}`,
        `account-${a.accountId}`,
      ]),
    );
    const positions = events.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    const types = events.map((e) => e.type);
    for (const [before, after] of [
      ['OrderCreated', 'Withdrawn'],
      ['Withdrawn', 'PaymentCompleted'],
      ['ItemsReserved', 'ShipmentScheduled'],
      ['ShipmentScheduled', 'OrderCompleted'],
    ])
      expect(types.indexOf(before!), `${before} before ${after}`).toBeLessThan(types.indexOf(after!));
    // Of the account, only this order's money: the opening deposit is not part of it.
    const moves = events.filter((e) => e.streamId === `account-${a.accountId}`);
    expect(moves.map((e) => e.type)).toEqual(['Withdrawn']);
    expect(moves[0]!.data).toMatchObject({ amount: a.total, reference: a.orderId });
    // The same events the log holds for the order, no more, no fewer.
    const logged = await h.orderEvents(a.orderId);
    expect(positions).toEqual(logged.map((e) => e.position));
  });

  it('lists orders created within a time range, by customer id or pseudonym, keeping the other filters', async () => {
    const list = async (query: string, key = OPERATOR) => {
      const res = await get(`/orders${query}`, key);
      expect(res.status, `${query}: ${res.text}`).toBe(200);
      return (res.body.orders as Array<{ orderId: string }>).map((o) => o.orderId);
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(await list(`?from=${iso(a.placedAt - 60_000)}`)).toEqual(expect.arrayContaining([a.orderId, b.orderId]));
    expect(await list(`?from=${iso(b.placedAt)}`)).toEqual([b.orderId]);
    expect(await list(`?to=${iso(b.placedAt)}`)).toEqual([a.orderId]);
    expect(await list(`?from=${iso(Date.now() + 60_000)}`)).toEqual([]);
    expect(await list(`?from=${iso(a.placedAt - 60_000)}&status=COMPLETED&customerId=streams-b`)).toEqual([b.orderId]);
    expect(await list(`?status=CANCELLED&from=${iso(a.placedAt - 60_000)}`)).toEqual([]);
    // The pseudonym the events hold finds the same orders as the plain id does.
    const created = (await get(`/streams/order-${a.orderId}/events?limit=1`)).body.events[0].data;
    expect(created.customer).toMatch(/^bi1\./);
    expect(await list(`?customer=${created.customer}`)).toEqual([a.orderId]);
    expect(await list(`?customer=${created.customer}&customerId=streams-b`)).toEqual([]);
    // A client: its own, within the range; another customer's pseudonym is refused.
    expect(await list(`?from=${iso(a.placedAt - 60_000)}`, KEY_A)).toEqual([a.orderId]);
    expect(await list(`?customer=${created.customer}`, KEY_A)).toEqual([a.orderId]);
    expect((await get(`/orders?customer=${created.customer}`, KEY_B)).status).toBe(403);

    const wrong = await get(`/orders?from=${iso(b.placedAt)}&to=${iso(a.placedAt)}`);
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('empty_range');
    expect(wrong.body.error.message).toMatch(/from must not be after to/);
    const garbled = await get('/orders?from=last-tuesday');
    expect(garbled.status).toBe(400);
    expect(garbled.body.error.message).toMatch(/from/);
  });

  it('refuses a range whose from is after its to, and only such a range, whatever the zones say (generated)', async () => {
    // An instant written in a zone of its own (-12:00 to +14:00): the same instant in two zones is
    // two strings that compare the wrong way, so the rule must compare instants.
    const zoned = (ms: number, offsetMinutes: number) => {
      const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
      const sign = offsetMinutes < 0 ? '-' : '+';
      const abs = Math.abs(offsetMinutes);
      return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    };
    const instant = fc.record({
      // Whole seconds: the strings carry no fraction.
      ms: fc.integer({ min: -86_400, max: 86_400 }).map((s) => Math.floor(a.placedAt / 1000) * 1000 + s * 1000),
      zone: fc.integer({ min: -48, max: 56 }).map((quarters) => quarters * 15),
    });
    // Half the pairs are one instant in two zones: equal, so allowed.
    const pair = fc.oneof(
      fc.tuple(instant, instant),
      fc.tuple(instant, fc.integer({ min: -48, max: 56 })).map(([i, z]) => [i, { ms: i.ms, zone: z * 15 }] as const),
    );
    await fc.assert(
      fc.asyncProperty(pair, async ([from, to]) => {
        const answer = await get(
          `/orders?from=${encodeURIComponent(zoned(from.ms, from.zone))}&to=${encodeURIComponent(zoned(to.ms, to.zone))}`,
        );
        if (from.ms > to.ms) {
          expect(answer.status).toBe(422);
          expect(answer.body.error.code).toBe('empty_range');
        } else {
          expect(answer.status).toBe(200);
          const listed = (answer.body.orders as Array<{ orderId: string }>).some((o) => o.orderId === a.orderId);
          // Order a was created within a minute after placedAt.
          if (from.ms <= a.placedAt - 1000 && to.ms >= a.placedAt + 60_000) expect(listed).toBe(true);
          if (to.ms < a.placedAt - 1000 || from.ms > a.placedAt + 60_000) expect(listed).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
    const day = fc
      .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    await fc.assert(
      fc.asyncProperty(day, day, async (from, to) => {
        const answer = await get(`/analytics/sales?from=${from}&to=${to}`);
        expect(answer.status).toBe(from > to ? 422 : 200);
        if (from > to) expect(answer.body.error.code).toBe('empty_range');
      }),
      { numRuns: 40 },
    );
  });

  it('shows erased personal data exactly as the existing routes do', async () => {
    const { accountId } = await dataOf(
      apiOf(stack, auth(OPERATOR)).POST('/accounts', {
        body: { customerId: 'streams-erased', owner: 'Erased Holder', initialDeposit: 0 },
      }),
    );
    await dataOf(
      apiOf(stack, auth(OPERATOR)).DELETE('/customers/{customerId}/personal-data', {
        params: { path: { customerId: 'streams-erased' } },
      }),
    );
    const existing = await get(`/accounts/${accountId}/events`);
    const browsed = await get(`/streams/account-${accountId}/events`);
    expect(browsed.body.events[0].data.owner).toBe(ERASED);
    expect(browsed.body.events.map((e: { data: unknown }) => e.data)).toEqual(
      existing.body.events.map((e: { data: unknown }) => e.data),
    );
    const state = await get(`/streams/account-${accountId}/state`);
    expect(state.body.now.state.owner).toBe(ERASED);
    expect(state.text).not.toContain('Erased Holder');
  });
});
