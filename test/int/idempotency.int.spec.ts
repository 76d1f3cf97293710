import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, fastSaga, sagaHelpers } from '../helpers/saga';
import { idempotencyKey, type ApiClient } from '../../api/client';
import { apiOf, startStack, type Stack } from '../helpers/stack';
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

/** An answer as the caller saw it: a success's body is kept as sent (duplicates must answer the same bytes). */
interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

interface Command {
  name: string;
  /** A fresh request (its own account, SKU…): sends it, or another body, with a key; and how to count its effect. */
  prepare(
    t: Ctx,
  ): Promise<{ send: (body: 'body' | 'altered', key: string) => Promise<Answer>; effect: () => Promise<number> }>;
}

interface Ctx {
  stack: Stack;
  h: ReturnType<typeof sagaHelpers>;
  /** The operator's client. */
  api: ApiClient;
}

async function answer(call: Promise<{ data?: string; error?: unknown; response: Response }>): Promise<Answer> {
  const { data, error, response } = await call;
  return { status: response.status, text: data ?? JSON.stringify(error), headers: response.headers };
}

/** An operator's command with an Idempotency-Key, its answer read as text. */
const withKey = (key: string) => ({ params: { header: idempotencyKey(key) }, parseAs: 'text' as const });

const count = (t: Ctx, filter: object) => t.stack.mongo.db.collection('events').countDocuments(filter);
/** Accounts opened for a holder, found by the holder's pseudonym (events keep the id itself sealed). */
const openedFor = async (t: Ctx, customerId: string) => {
  const pseudonym = await createPersonalData(t.stack.mongo.db, masterKeysOf(t.stack.config)).pseudonymIfKnown(
    customerId,
  );
  return pseudonym === null ? 0 : count(t, { type: 'AccountOpened', 'data.customer': pseudonym });
};

async function holderAccount(t: Ctx, deposit: number): Promise<string> {
  const { data, error, response } = await t.api.POST('/accounts', {
    body: { customerId: 'idem-a', owner: 'idem holder', initialDeposit: deposit },
  });
  expect(response.status, JSON.stringify(error)).toBe(201);
  return data!.accountId;
}

const COMMANDS: Command[] = [
  {
    name: 'POST /orders',
    async prepare(t) {
      const accountId = await holderAccount(t, 100_000);
      const sku = t.h.unique('IDEM');
      await t.h.stock(sku, 50, 100);
      const body = { customerId: 'idem-a', accountId, items: [{ sku, quantity: 1 }], shippingAddress: address };
      const altered = { ...body, items: [{ sku, quantity: 2 }] };
      return {
        send: (which, key) =>
          answer(t.api.POST('/orders', { ...withKey(key), body: which === 'body' ? body : altered })),
        // Sagas started, from Temporal's visibility (read until it stops changing: it trails starts slightly).
        effect: async () => {
          const sagas = async () => {
            let n = 0;
            for await (const _ of t.stack.client.workflow.list({
              query: `TaskQueue = '${t.stack.config.TASK_QUEUE}' AND WorkflowType = '${WORKFLOW_NAMES.orderSaga}'`,
            }))
              n++;
            return n;
          };
          let last = await sagas();
          for (let stable = 0; stable < 3;) {
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
      return {
        send: (which, key) =>
          answer(
            t.api.POST('/accounts', {
              ...withKey(key),
              body: { customerId: 'idem-a', owner, initialDeposit: which === 'body' ? 500 : 600 },
            }),
          ),
        effect: () => openedFor(t, 'idem-a'),
      };
    },
  },
  {
    name: 'POST /accounts/:id/deposits',
    async prepare(t) {
      const accountId = await holderAccount(t, 0);
      return {
        send: (which, key) =>
          answer(
            t.api.POST('/accounts/{id}/deposits', {
              params: { path: { id: accountId }, header: idempotencyKey(key) },
              parseAs: 'text',
              body: { amount: which === 'body' ? 250 : 251 },
            }),
          ),
        effect: () => count(t, { streamId: `account-${accountId}`, type: 'Deposited' }),
      };
    },
  },
  {
    name: 'POST /accounts/:id/withdrawals',
    async prepare(t) {
      const accountId = await holderAccount(t, 1_000);
      return {
        send: (which, key) =>
          answer(
            t.api.POST('/accounts/{id}/withdrawals', {
              params: { path: { id: accountId }, header: idempotencyKey(key) },
              parseAs: 'text',
              body: { amount: which === 'body' ? 250 : 251 },
            }),
          ),
        effect: () => count(t, { streamId: `account-${accountId}`, type: 'Withdrawn' }),
      };
    },
  },
  {
    name: 'POST /inventory',
    async prepare(t) {
      const sku = t.h.unique('IDEM-STOCK');
      return {
        send: (which, key) =>
          answer(
            t.api.POST('/inventory', {
              ...withKey(key),
              body: { sku, quantity: which === 'body' ? 7 : 8, price: 300 },
            }),
          ),
        effect: () => count(t, { type: 'StockAdjusted', 'data.sku': sku }),
      };
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
    t.api = apiOf(t.stack, bearer(OPERATOR));
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
    const answers = await Promise.all(Array.from({ length: 8 }, () => c.send('body', key)));
    expect(new Set(answers.map((a) => a.status)).size, answers.map((a) => `${a.status} ${a.text}`).join('\n')).toBe(1);
    expect(answers[0]!.status).toBeLessThan(300);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect((await c.effect()) - before).toBe(1);
    // Later, the same again: the stored answer, marked as a replay.
    const again = await c.send('body', key);
    expect(again.text).toBe(answers[0]!.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await c.effect()) - before).toBe(1);
  });

  it.each(COMMANDS)('$name: the same key with another body is a 422 that changes nothing', async (command) => {
    const c = await command.prepare(t);
    const key = t.h.unique('reuse');
    const first = await c.send('body', key);
    expect(first.status, first.text).toBeLessThan(300);
    const after = await c.effect();
    const other = await c.send('altered', key);
    expect(other.status).toBe(422);
    expect(JSON.parse(other.text).error.code).toBe('idempotency_key_reused');
    expect(await c.effect()).toBe(after);
  });

  it('a rejected request leaves no trace: its key is free for the corrected request', async () => {
    const accountId = await holderAccount(t, 100);
    const key = t.h.unique('rejected');
    const keys = () => t.stack.mongo.db.collection('idempotency_keys').countDocuments();
    const before = await keys();
    const withdraw = (amount: number) =>
      t.api.POST('/accounts/{id}/withdrawals', {
        params: { path: { id: accountId }, header: idempotencyKey(key) },
        body: { amount },
      });
    const refused = await withdraw(500);
    expect(refused.response.status).toBe(422);
    expect(await keys()).toBe(before);
    expect(await count(t, { streamId: `account-${accountId}`, type: 'Withdrawn' })).toBe(0);
    const corrected = await withdraw(50);
    expect(corrected.response.status, JSON.stringify(corrected.error)).toBe(200);
    expect(corrected.data?.balance).toBe(50);
  });

  it('scopes keys per caller: the same key from two customers is two requests, and neither sees the other', async () => {
    const key = t.h.unique('shared');
    const open = (client: string) =>
      answer(apiOf(t.stack, bearer(client)).POST('/accounts', { ...withKey(key), body: { owner: 'A' } }));
    const a = await open(CLIENT_A);
    const b = await open(CLIENT_B);
    expect(a.status, a.text).toBe(201);
    expect(b.status, b.text).toBe(201);
    expect(JSON.parse(b.text).accountId).not.toBe(JSON.parse(a.text).accountId);
    expect(JSON.parse(b.text).customerId).toBe('idem-b');
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
    const first = await c.send('body', key);
    expect(first.status, first.text).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 1_200));
    const late = await c.send('body', key);
    expect(late.status, late.text).toBe(first.status);
    expect(late.headers.get('idempotent-replayed')).toBeNull(); // not remembered: ran again, and changed nothing
    expect((await c.effect()) - before).toBe(1);
  });
});
