import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, fastSaga, sagaHelpers } from '../helpers/saga';
import { http, startStack, type Stack } from '../helpers/stack';
import { WORKFLOW_NAMES } from '../../workflows/client';
import { createPersonalData, masterKeysOf } from '../../infra/personal-data';

/**
 * Every command that moves money or stock honours Idempotency-Key with one contract: concurrent
 * duplicates produce one effect and the same answer; the same key with another body is a 422; a
 * rejected request leaves no trace; keys are scoped per caller; after the key's retention the
 * command is still exactly-once, because what it writes takes its id from the key.
 */
const OPERATOR = 'idem-operator-key-0123456789ab';
const CLIENT_A = 'idem-client-a-key-0123456789ab';
const CLIENT_B = 'idem-client-b-key-0123456789ab';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Command {
  name: string;
  /** A fresh request (its own account, SKU…), and how to count its effect. */
  prepare(t: Ctx): Promise<{ method: string; path: string; body: object; altered: object; effect: () => Promise<number> }>;
}

interface Ctx {
  stack: Stack;
  h: ReturnType<typeof sagaHelpers>;
}

const count = (t: Ctx, filter: object) => t.stack.mongo.db.collection('events').countDocuments(filter);
/** Accounts opened for a holder, found by the holder's pseudonym (events keep the id itself sealed). */
const openedFor = async (t: Ctx, customerId: string) => {
  const pseudonym = await createPersonalData(t.stack.mongo.db, masterKeysOf(t.stack.config)).pseudonymIfKnown(customerId);
  return pseudonym === null ? 0 : count(t, { type: 'AccountOpened', 'data.customer': pseudonym });
};

async function holderAccount(t: Ctx, deposit: number): Promise<string> {
  const res = await http(t.stack.baseUrl, 'POST', '/accounts', { customerId: 'idem-a', owner: 'idem holder', initialDeposit: deposit }, bearer(OPERATOR));
  expect(res.status, res.text).toBe(201);
  return res.body.accountId;
}

const COMMANDS: Command[] = [
  {
    name: 'POST /orders',
    async prepare(t) {
      const accountId = await holderAccount(t, 100_000);
      const sku = t.h.unique('IDEM');
      await t.h.stock(sku, 50, 100);
      const body = { customerId: 'idem-a', accountId, items: [{ sku, quantity: 1 }], shippingAddress: address };
      return {
        method: 'POST',
        path: '/orders',
        body,
        altered: { ...body, items: [{ sku, quantity: 2 }] },
        // Sagas started, from Temporal's visibility (read until it stops changing: it trails starts slightly).
        effect: async () => {
          const sagas = async () => {
            let n = 0;
            for await (const _ of t.stack.client.workflow.list({ query: `TaskQueue = '${t.stack.config.TASK_QUEUE}' AND WorkflowType = '${WORKFLOW_NAMES.orderSaga}'` })) n++;
            return n;
          };
          let last = await sagas();
          for (let stable = 0; stable < 3; ) {
            await new Promise((r) => setTimeout(r, 200));
            const now = await sagas();
            stable = now === last ? stable + 1 : 0;
            last = now;
          }
          return last;
        },
      };
    },
  },
  {
    name: 'POST /accounts',
    async prepare(t) {
      // The name is sealed in the event (personal data): accounts opened for the holder are counted instead.
      const owner = t.h.unique('idem-owner');
      return { method: 'POST', path: '/accounts', body: { customerId: 'idem-a', owner, initialDeposit: 500 }, altered: { customerId: 'idem-a', owner, initialDeposit: 600 }, effect: () => openedFor(t, 'idem-a') };
    },
  },
  {
    name: 'POST /accounts/:id/deposits',
    async prepare(t) {
      const accountId = await holderAccount(t, 0);
      return { method: 'POST', path: `/accounts/${accountId}/deposits`, body: { amount: 250 }, altered: { amount: 251 }, effect: () => count(t, { streamId: `account-${accountId}`, type: 'Deposited' }) };
    },
  },
  {
    name: 'POST /accounts/:id/withdrawals',
    async prepare(t) {
      const accountId = await holderAccount(t, 1_000);
      return { method: 'POST', path: `/accounts/${accountId}/withdrawals`, body: { amount: 250 }, altered: { amount: 251 }, effect: () => count(t, { streamId: `account-${accountId}`, type: 'Withdrawn' }) };
    },
  },
  {
    name: 'POST /inventory',
    async prepare(t) {
      const sku = t.h.unique('IDEM-STOCK');
      return { method: 'POST', path: '/inventory', body: { sku, quantity: 7, price: 300 }, altered: { sku, quantity: 8, price: 300 }, effect: () => count(t, { type: 'StockAdjusted', 'data.sku': sku }) };
    },
  },
];

function useStack(retention?: number) {
  const t = {} as Ctx;
  beforeAll(async () => {
    t.stack = await startStack({
      ...fastSaga,
      NODE_ENV: 'production',
      RATE_LIMIT_PER_MINUTE: 1_000_000,
      API_KEYS: [
        { key: OPERATOR, role: 'operator', customerId: undefined },
        { key: CLIENT_A, role: 'client', customerId: 'idem-a' },
        { key: CLIENT_B, role: 'client', customerId: 'idem-b' },
      ],
      PAYLOAD_KEYS: new Map([['k1', randomBytes(32)]]),
      PAYLOAD_KEY_ID: 'k1',
      ...(retention !== undefined && { IDEMPOTENCY_RETENTION: retention }),
    });
    t.h = sagaHelpers(t.stack, bearer(OPERATOR));
  });
  afterAll(() => t.stack?.stop());
  return t;
}

describe('Idempotency-Key on every money and stock command', () => {
  const t = useStack();

  it.each(COMMANDS)('$name: 8 concurrent duplicates take effect once and get the same answer', async (command) => {
    const c = await command.prepare(t);
    const before = await c.effect();
    const key = t.h.unique('dup');
    const answers = await Promise.all(Array.from({ length: 8 }, () => http(t.stack.baseUrl, c.method, c.path, c.body, { ...bearer(OPERATOR), 'idempotency-key': key })));
    expect(new Set(answers.map((a) => a.status)).size, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toBe(1);
    expect(answers[0]!.status).toBeLessThan(300);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect((await c.effect()) - before).toBe(1);
    // Later, the same again: the stored answer, marked as a replay.
    const again = await http(t.stack.baseUrl, c.method, c.path, c.body, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(again.text).toBe(answers[0]!.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await c.effect()) - before).toBe(1);
  });

  it.each(COMMANDS)('$name: the same key with another body is a 422 that changes nothing', async (command) => {
    const c = await command.prepare(t);
    const key = t.h.unique('reuse');
    const first = await http(t.stack.baseUrl, c.method, c.path, c.body, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(first.status, first.text).toBeLessThan(300);
    const after = await c.effect();
    const other = await http(t.stack.baseUrl, c.method, c.path, c.altered, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await c.effect()).toBe(after);
  });

  it('a rejected request leaves no trace: its key is free for the corrected request', async () => {
    const accountId = await holderAccount(t, 100);
    const key = t.h.unique('rejected');
    const keys = () => t.stack.mongo.db.collection('idempotency_keys').countDocuments();
    const before = await keys();
    const refused = await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/withdrawals`, { amount: 500 }, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(refused.status).toBe(422);
    expect(await keys()).toBe(before);
    expect(await count(t, { streamId: `account-${accountId}`, type: 'Withdrawn' })).toBe(0);
    const corrected = await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/withdrawals`, { amount: 50 }, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(corrected.status, corrected.text).toBe(200);
    expect(corrected.body.balance).toBe(50);
  });

  it('scopes keys per caller: the same key from two customers is two requests, and neither sees the other', async () => {
    const key = t.h.unique('shared');
    const a = await http(t.stack.baseUrl, 'POST', '/accounts', { owner: 'A' }, { ...bearer(CLIENT_A), 'idempotency-key': key });
    const b = await http(t.stack.baseUrl, 'POST', '/accounts', { owner: 'A' }, { ...bearer(CLIENT_B), 'idempotency-key': key });
    expect(a.status, a.text).toBe(201);
    expect(b.status, b.text).toBe(201);
    expect(b.body.accountId).not.toBe(a.body.accountId);
    expect(b.body.customerId).toBe('idem-b');
    expect(b.text).not.toContain('idem-a');
  });

  it('keys expire through a TTL index', async () => {
    const indexes = await t.stack.mongo.db.collection('idempotency_keys').indexes();
    expect(indexes.find((i) => i.key.expiresAt === 1)?.expireAfterSeconds).toBe(0);
  });
});

describe('Idempotency-Key after its retention (1 s here)', () => {
  const t = useStack(1_000);

  it.each(COMMANDS)('$name: the same key and body after expiry still take effect once', async (command) => {
    const c = await command.prepare(t);
    const before = await c.effect();
    const key = t.h.unique('expired');
    const first = await http(t.stack.baseUrl, c.method, c.path, c.body, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(first.status, first.text).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 1_200));
    const late = await http(t.stack.baseUrl, c.method, c.path, c.body, { ...bearer(OPERATOR), 'idempotency-key': key });
    expect(late.status, late.text).toBe(first.status);
    expect(late.headers.get('idempotent-replayed')).toBeNull(); // not remembered: ran again, and changed nothing
    expect((await c.effect()) - before).toBe(1);
  });
});
