import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '../../../api/client';
import { startKeyedStack } from '../../helpers/keyed-stack';
import { address, sagaHelpers } from '../../helpers/saga';
import { readLive, type SseFrame } from '../../helpers/sse';
import { apiOf, http, startStack, type Stack } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

const OPERATOR = 'live-operator-key-0123456789';
const KEY_A = 'live-client-a-key-0123456789';
const KEY_B = 'live-client-b-key-0123456789';
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

const events = (frames: SseFrame[]) => frames.filter((f) => f.event === 'event').map((f) => f.data);

/**
 * GET /live against the real servers: the feed a page reads with a streamed fetch and the
 * Authorization header. It delivers an order's events and the read side's state, ends at
 * maxSeconds and when the client leaves, resumes from `after`, and shows a client only its own.
 */
describe('GET /live: the live feed as server-sent events', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  let sku: string;

  beforeAll(async () => {
    stack = await startKeyedStack(OPERATOR, { [KEY_A]: 'live-a', [KEY_B]: 'live-b' });
    h = sagaHelpers(stack, auth(OPERATOR));
    sku = h.unique('LIVE');
    await h.stock(sku, 1_000, 100);
  }, 120_000);
  afterAll(() => stack?.stop());

  const url = (query: string) => `${stack.baseUrl}/live${query}`;

  async function place(customer: 'live-a' | 'live-b', key: string, street = '1 Main St') {
    const { accountId } = await dataOf(
      apiOf(stack, auth(OPERATOR)).POST('/accounts', {
        body: { customerId: customer, owner: `${customer} holder`, initialDeposit: 10_000 },
      }),
    );
    const placed = await dataOf(
      apiOf(stack, auth(key)).POST('/orders', {
        body: {
          customerId: customer,
          accountId,
          items: [{ sku, quantity: 1 }],
          shippingAddress: { ...address, line1: street },
        },
      }),
    );
    return { accountId, orderId: placed.orderId };
  }

  it("delivers an order's events as they are appended, and the read side's state", async () => {
    const placed: { orderId?: string } = {};
    const feed = readLive(
      url('?maxSeconds=60'),
      auth(OPERATOR),
      (_f, all) =>
        placed.orderId !== undefined &&
        events(all).some((e) => e.type === 'OrderCompleted' && e.data.orderId === placed.orderId) &&
        all.some((f) => f.event === 'read-side'),
    );
    // The feed is open (its hello read) before the order is placed, so what follows came live.
    await waitFor('the feed to open', async () => {
      const metrics = await http(stack.baseUrl, 'GET', '/metrics', undefined, auth(OPERATOR));
      return /^api_live_feeds_open 1$/m.test(metrics.text);
    });
    const street = `${randomBytes(4).toString('hex')} Live Street`;
    const { orderId } = await place('live-a', KEY_A, street);
    placed.orderId = orderId;
    const { status, contentType, frames } = await feed;
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(frames[0]!.event).toBe('hello');
    const mine = events(frames).filter((e) => e.data.orderId === orderId || e.data.reference === orderId);
    const types = mine.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['OrderCreated', 'PaymentCompleted', 'Withdrawn', 'OrderCompleted']));
    expect(types.indexOf('OrderCreated')).toBeLessThan(types.indexOf('OrderCompleted'));
    // In position order, each frame's id its position, with metadata and time.
    const positions = events(frames).map((e) => e.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    const framed = frames.filter((f) => f.event === 'event');
    expect(framed.every((f) => f.id === String(f.data.position))).toBe(true);
    expect(mine[0]!.metadata).toMatchObject({ eventId: expect.any(String), timestamp: expect.any(String) });
    // Personal data reads as the other routes show it: opened.
    expect(mine.find((e) => e.type === 'OrderCreated')!.data.shippingAddress.line1).toBe(street);
    const readSide = frames.find((f) => f.event === 'read-side')!.data;
    expect(readSide.projections.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['orders', 'accounts']),
    );
    for (const p of readSide.projections) {
      expect(['running', 'catching-up', 'stalled', 'rebuilding']).toContain(p.state);
      expect(p.lagEvents).toEqual(expect.any(Number));
    }
  }, 120_000);

  it('ends at maxSeconds with an end frame', async () => {
    const { status, frames, ms, aborted } = await readLive(url('?maxSeconds=1&topics=read-side'), auth(OPERATOR));
    expect(status).toBe(200);
    expect(aborted).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(10_000);
    expect(frames.at(-1)).toMatchObject({ event: 'end', data: { reason: 'max-duration' } });
    expect(frames.filter((f) => f.event === 'read-side').length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('ends at the configured maximum when maxSeconds asks for more, and closes everything when the client leaves', async () => {
    const short = await startStack({ LIVE_FEED_MAX: 1_500 });
    try {
      const ended = await readLive(`${short.baseUrl}/live?maxSeconds=3600`, {});
      expect(ended.frames.at(-1)).toMatchObject({ event: 'end', data: { reason: 'max-duration' } });
      expect(ended.ms).toBeLessThan(10_000);
    } finally {
      await short.stop();
    }
    // A page that leaves: the feed (its change stream, its timers) is gone, and the gauge says so.
    const left = await readLive(url('?maxSeconds=600'), auth(OPERATOR), (f) => f.event === 'hello');
    expect(left.aborted).toBe(true);
    await waitFor('the feed to close after the client left', async () => {
      const metrics = await http(stack.baseUrl, 'GET', '/metrics', undefined, auth(OPERATOR));
      return /^api_live_feeds_open 0$/m.test(metrics.text);
    });
  }, 60_000);

  it('resumes after a position: the events after it, none before, the same from X-Read-Model-Position', async () => {
    const start = await readLive(url('?maxSeconds=5&topics=orders'), auth(OPERATOR), (f) => f.event === 'hello');
    const from = Number(start.frames[0]!.id);
    const { orderId } = await place('live-a', KEY_A);
    await h.result(orderId);
    const done = (_f: SseFrame, all: SseFrame[]) =>
      events(all).some((e) => e.type === 'OrderCompleted' && e.data.orderId === orderId);
    const resumed = await readLive(url(`?after=${from}&maxSeconds=30`), auth(OPERATOR), done);
    const after = events(resumed.frames);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.position > from)).toBe(true);
    expect(after[0]!.position).toBe(from + 1);
    expect(after.map((e) => e.type)).toContain('OrderCreated');
    // From the middle: the next event is the one after the id given.
    const created = after.find((e) => e.type === 'OrderCreated' && e.data.orderId === orderId)!;
    const rest = await readLive(url(`?after=${created.position}&maxSeconds=30`), auth(OPERATOR), done);
    expect(events(rest.frames)[0]!.position).toBe(created.position + 1);
    expect(events(rest.frames).some((e) => e.type === 'OrderCreated' && e.data.orderId === orderId)).toBe(false);
    // The position a read model answers with is a place to resume from too.
    const listed = await http(stack.baseUrl, 'GET', '/orders', undefined, auth(OPERATOR));
    const token = listed.headers.get('x-read-model-position')!;
    expect(token).toMatch(/^\d+$/);
    const fromToken = await readLive(url(`?after=${token}&maxSeconds=1`), auth(OPERATOR));
    expect(fromToken.status).toBe(200);
    expect(fromToken.frames[0]).toMatchObject({ event: 'hello', id: token });
  }, 120_000);

  it("shows a client only its own orders' and accounts' events, and refuses what it may not follow", async () => {
    const start = await readLive(url('?maxSeconds=5'), auth(OPERATOR), (f) => f.event === 'hello');
    const from = Number(start.frames[0]!.id);
    const a = await place('live-a', KEY_A);
    const b = await place('live-b', KEY_B);
    await Promise.all([h.result(a.orderId), h.result(b.orderId)]);
    const done = (_f: SseFrame, all: SseFrame[]) =>
      all.some((f) => f.event === 'position' || f.event === 'event') &&
      Number(all.filter((f) => f.id !== undefined).at(-1)!.id) >= from + 1 &&
      events(all).some((e) => e.type === 'OrderCompleted' && e.data.orderId === a.orderId);
    const seen = await readLive(url(`?after=${from}&maxSeconds=30`), auth(KEY_A), done);
    expect(seen.status).toBe(200);
    const own = events(seen.frames);
    expect(own.some((e) => e.data.orderId === a.orderId)).toBe(true);
    expect(own.some((e) => e.streamId === `account-${a.accountId}`)).toBe(true);
    const text = JSON.stringify(seen.frames);
    expect(text).not.toContain(b.orderId);
    expect(text).not.toContain(b.accountId);
    expect(own.every((e) => e.streamId.endsWith(a.orderId) || e.streamId === `account-${a.accountId}`)).toBe(true);
    // B, from the same position, never sees A's.
    const other = await readLive(url(`?after=${from}&maxSeconds=3`), auth(KEY_B));
    expect(JSON.stringify(other.frames)).not.toContain(a.orderId);
    expect(events(other.frames).some((e) => e.data.orderId === b.orderId)).toBe(true);

    // Dead letters are operators' business: left out of a client's feed, refused when they are all it asks for.
    const narrowed = await readLive(url('?topics=orders,dead-letters&maxSeconds=1'), auth(KEY_A));
    expect(narrowed.frames[0]).toMatchObject({ event: 'hello', data: { topics: ['orders'] } });
    expect(narrowed.frames.some((f) => f.event === 'dead-letters')).toBe(false);
    const refused = await http(stack.baseUrl, 'GET', '/live?topics=dead-letters', undefined, auth(KEY_A));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/dead letters/i);
    const none = await http(stack.baseUrl, 'GET', '/live?maxSeconds=1');
    expect(none.status).toBe(401);
  }, 120_000);

  it('refuses bad input with a 4xx naming the problem', async () => {
    const get = (query: string) => http(stack.baseUrl, 'GET', `/live${query}`, undefined, auth(OPERATOR));
    const cases: Array<[string, number, RegExp]> = [
      ['?topics=orders,gossip', 400, /topics/],
      ['?maxSeconds=0', 400, /maxSeconds/],
      ['?after=-1', 400, /after/],
      ['?after=abc', 400, /after/],
      ['?since=1', 400, /since|unrecognized/i],
      [`?after=${Number.MAX_SAFE_INTEGER}`, 422, /beyond the head/],
    ];
    for (const [query, status, message] of cases) {
      const res = await get(query);
      expect(res.status, query).toBe(status);
      expect(res.body.error.message, query).toMatch(message);
    }
  });

  it('tells operators of dead letters', async () => {
    const { frames } = await readLive(url('?topics=dead-letters&maxSeconds=2'), auth(OPERATOR));
    expect(frames.find((f) => f.event === 'dead-letters')?.data).toMatchObject({ open: expect.any(Number) });
  }, 30_000);
});
