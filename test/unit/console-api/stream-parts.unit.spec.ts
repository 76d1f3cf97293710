import { describe, expect, it } from 'vitest';
import { sseFrame } from '../../../api/routes/live';
import { stateChanges } from '../../../api/routes/state-diff';
import { ownsStream, streamSubject } from '../../../api/stream-owners';
import { sseFrames } from '../../helpers/sse';

describe('stateChanges: the fields that differ between an aggregate then and now', () => {
  it('names each changed leaf by its dotted path, with both values', () => {
    const then = { status: 'open', balance: 100, owner: 'ada', address: { city: 'A', line1: 'x' } };
    const now = { status: 'open', balance: 70, owner: 'ada', address: { city: 'B', line1: 'x' } };
    expect(stateChanges(then, now)).toEqual([
      { path: 'balance', then: 100, now: 70 },
      { path: 'address.city', then: 'A', now: 'B' },
    ]);
  });

  it('says nothing for equal states, and reports fields that appeared or went as null on the other side', () => {
    expect(stateChanges({ a: 1, b: [1, 2] }, { a: 1, b: [1, 2] })).toEqual([]);
    expect(stateChanges({ status: null }, { status: 'charged', amount: 5 })).toEqual([
      { path: 'status', then: null, now: 'charged' },
      { path: 'amount', then: null, now: 5 },
    ]);
  });

  it('compares lists of one length item by item, and a list that grew as a whole', () => {
    expect(stateChanges({ items: [{ q: 1 }, { q: 2 }] }, { items: [{ q: 1 }, { q: 3 }] })).toEqual([
      { path: 'items.1.q', then: 2, now: 3 },
    ]);
    expect(stateChanges({ open: ['refund'] }, { open: [] })).toEqual([{ path: 'open', then: ['refund'], now: [] }]);
  });

  it('names a whole state that changed kind as $', () => {
    expect(stateChanges(null, { status: 'open' })).toEqual([{ path: '$', then: null, now: { status: 'open' } }]);
  });
});

describe('streamSubject and ownsStream: whose a stream is', () => {
  it("gives an order's streams to the order and account-<id> to the account; anything else to no one", () => {
    for (const type of ['order', 'payment', 'reservation', 'shipment'])
      expect(streamSubject(`${type}-3f2c-11`)).toEqual({ kind: 'order', id: '3f2c-11' });
    expect(streamSubject('account-42')).toEqual({ kind: 'account', id: '42' });
    for (const other of ['sku-BOOK-1', '$gaps', 'order-', 'orders', '-1', 'order-a/b', 'breaker-payment'])
      expect(streamSubject(other), other).toBeNull();
  });

  it('asks the order for an order stream, the account for an account stream, and no one for the rest', async () => {
    const asked: string[] = [];
    const ownership = {
      isOrderCustomer: async (id: string, customer: string) => (asked.push(`order ${id}`), customer === 'ada'),
      isAccountHolder: async (id: string, customer: string) => (asked.push(`account ${id}`), customer === 'ada'),
    };
    expect(await ownsStream(ownership, 'payment-o1', 'ada')).toBe(true);
    expect(await ownsStream(ownership, 'account-a1', 'bob')).toBe(false);
    expect(await ownsStream(ownership, 'sku-BOOK-1', 'ada')).toBe(false);
    expect(asked).toEqual(['order o1', 'account a1']);
  });
});

describe('sseFrame: server-sent events framing', () => {
  it('frames what a spec-following reader reads back, line breaks in the data included', async () => {
    const data = { text: 'two\nlines\r\nand: a colon', n: 1 };
    const body = sseFrame('event', data, 7) + ': keep-alive\n\n' + sseFrame('read-side', { ok: true });
    const stream = new Blob([body]).stream();
    const frames = [];
    for await (const frame of sseFrames(stream)) frames.push(frame);
    expect(frames).toEqual([
      { id: '7', event: 'event', data },
      { event: 'read-side', data: { ok: true } },
    ]);
  });
});
