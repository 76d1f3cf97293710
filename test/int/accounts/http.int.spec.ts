import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_AMOUNT } from '../../../domain/accounts';
import { dataOf } from '../../../api/client';
import { apiOf, http, startStack, type Stack } from '../../helpers/stack';

describe('accounts over HTTP', () => {
  let stack: Stack;
  const eventCount = () => stack.mongo.db.collection('events').countDocuments({ type: { $ne: '$gap' } });
  const api = () => apiOf(stack);
  const open = async (body: { owner: string; initialDeposit?: number } = { owner: 'ada', initialDeposit: 100 }) => {
    const res = await api().POST('/accounts', { body });
    expect(res.response.status, JSON.stringify(res.error)).toBe(201);
    return res.data!.accountId;
  };
  const account = (id: string, query?: { asOf?: string; version?: string }) =>
    api().GET('/accounts/{id}', { params: { path: { id }, query } });
  const eventsOf = async (id: string) => api().GET('/accounts/{id}/events', { params: { path: { id } } });
  const deposit = (id: string, amount: number, ifMatch?: string) =>
    api().POST('/accounts/{id}/deposits', {
      params: { path: { id }, header: { 'if-match': ifMatch } },
      body: { amount },
    });
  const withdraw = (id: string, amount: number, ifMatch?: string) =>
    api().POST('/accounts/{id}/withdrawals', {
      params: { path: { id }, header: { 'if-match': ifMatch } },
      body: { amount },
    });

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('opens an account: 201 with Location, ETag and the position of its first event', async () => {
    const res = await api().POST('/accounts', {
      body: { owner: 'ada', initialDeposit: 2_500 },
      headers: { 'x-correlation-id': 'corr-open' },
    });
    expect(res.response.status).toBe(201);
    expect(res.data).toEqual({
      accountId: expect.any(String),
      customerId: null,
      owner: 'ada',
      balance: 2_500,
      version: 1,
      position: expect.any(Number),
    });
    const { accountId } = res.data!;
    expect(res.response.headers.get('location')).toBe(`/accounts/${accountId}`);
    expect(res.response.headers.get('etag')).toBe('"1"');

    const read = await account(accountId);
    expect(read.response.status).toBe(200);
    expect(read.data).toEqual({
      accountId,
      customerId: null,
      owner: 'ada',
      balance: 2_500,
      version: 1,
      openedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: read.data!.openedAt,
    });
    expect(read.response.headers.get('etag')).toBe('"1"');

    const events = await eventsOf(accountId);
    expect(events.data!.events).toEqual([
      {
        version: 1,
        position: res.data!.position,
        type: 'AccountOpened',
        data: { owner: 'ada', initial: 2_500 },
        metadata: expect.objectContaining({
          eventId: expect.any(String),
          correlationId: 'corr-open',
          causationId: null,
          timestamp: expect.any(String),
        }),
      },
    ]);
  });

  it('opens an account with nothing in it when no initial deposit is given', async () => {
    const res = await api().POST('/accounts', { body: { owner: 'bo' } });
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({ balance: 0, version: 1 });
  });

  it('deposits and withdraws, answering balance, version, position and ETag', async () => {
    const id = await open();
    const dep = await deposit(id, 50);
    expect(dep.response.status).toBe(200);
    expect(dep.data).toEqual({ accountId: id, balance: 150, version: 2, position: expect.any(Number) });
    expect(dep.response.headers.get('etag')).toBe('"2"');
    const wd = await withdraw(id, 120);
    expect(wd.response.status).toBe(200);
    expect(wd.data).toEqual({ accountId: id, balance: 30, version: 3, position: expect.any(Number) });
    expect(wd.data!.position).toBeGreaterThan(dep.data!.position);
    const events = await eventsOf(id);
    expect(events.data!.events.map((e) => [e.type, e.data])).toEqual([
      ['AccountOpened', { owner: 'ada', initial: 100 }],
      ['Deposited', { amount: 50 }],
      ['Withdrawn', { amount: 120 }],
    ]);
    expect(events.response.headers.get('etag')).toBe('"3"');
  });

  it('refuses an overdraft with 422 insufficient_funds and writes nothing', async () => {
    const id = await open({ owner: 'cy', initialDeposit: 10 });
    const before = await eventCount();
    const res = await withdraw(id, 11);
    expect(res.response.status).toBe(422);
    expect(res.error?.error).toEqual({
      code: 'insufficient_funds',
      message: expect.any(String),
      details: { accountId: id, balance: 10, amount: 11 },
    });
    expect(await eventCount()).toBe(before);
    expect((await account(id)).data).toMatchObject({ balance: 10, version: 1 });
  });

  it('lets exactly 10 of 20 concurrent withdrawals of 10 from 100 succeed, leaving 0 and versions 1..11', async () => {
    const id = await open({ owner: 'dee', initialDeposit: 100 });
    const results = await Promise.all(Array.from({ length: 20 }, () => withdraw(id, 10)));
    const statuses = results.map((r) => r.response.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(10);
    for (const r of results.filter((x) => x.response.status === 422))
      expect(r.error?.error.code).toBe('insufficient_funds');
    expect(
      results
        .filter((r) => r.response.status === 200)
        .map((r) => r.data!.version)
        .sort((a, b) => a - b),
    ).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    const after = await account(id);
    expect(after.data).toMatchObject({ balance: 0, version: 11 });
    const events = (await dataOf(eventsOf(id))).events;
    expect(events).toHaveLength(11);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(events.filter((e) => e.type === 'Withdrawn')).toHaveLength(10);
    const stored = await stack.mongo.db.collection('events').countDocuments({ streamId: `account-${id}` });
    expect(stored).toBe(11);
  });

  it('time travels with ?asOf and ?version, 404 before the account existed', async () => {
    const id = await open({ owner: 'eve', initialDeposit: 100 });
    await deposit(id, 50);
    await withdraw(id, 30);
    const events = (await dataOf(eventsOf(id))).events;

    const balances = [100, 150, 120];
    for (const [i, balance] of balances.entries()) {
      const res = await account(id, { version: String(i + 1) });
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({ balance, version: i + 1, owner: 'eve' });
      expect(res.response.headers.get('etag')).toBe(`"${i + 1}"`);
    }
    expect((await account(id, { version: '4' })).response.status).toBe(404);

    for (const event of events) {
      const at = event.metadata.timestamp;
      // Everything recorded up to that instant counts (events may share a millisecond).
      const lastAt = Math.max(...events.filter((e) => e.metadata.timestamp <= at).map((e) => e.version));
      const res = await account(id, { asOf: at });
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({ version: lastAt, balance: balances[lastAt - 1], updatedAt: at });
    }
    const before = new Date(Date.parse(events[0]!.metadata.timestamp) - 1).toISOString();
    const early = await account(id, { asOf: before });
    expect(early.response.status).toBe(404);
    expect(early.error?.error.code).toBe('not_found');
    const offset = await account(id, { asOf: '2999-01-01T00:00:00+02:00' });
    expect(offset.data).toMatchObject({ version: 3, balance: 120 });

    // Both: the account at that version, if it had reached it by then.
    for (const event of events) {
      const at = event.metadata.timestamp;
      const reached = Math.max(...events.filter((e) => e.metadata.timestamp <= at).map((e) => e.version));
      for (const version of [1, 2, 3]) {
        const res = await account(id, { asOf: at, version: String(version) });
        if (version <= reached)
          expect(res.data, `${at} v${version}`).toMatchObject({ version, balance: balances[version - 1] });
        else expect(res.response.status, `${at} v${version}`).toBe(404);
      }
    }
  });

  it('pages through the accounts list with nextCursor, whose stated shape is all a cursor needs', async () => {
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await dataOf(api().POST('/accounts', { body: { owner: 'page', initialDeposit: 1 } })));
    const opened = answers.map((a) => a.accountId);
    const position = Math.max(...answers.map((a) => a.position as number));
    // Walk the whole list one account at a time: every account once, newest first.
    const seen: Array<{ accountId: string; openedAt: string }> = [];
    const page = (cursor?: string) =>
      api().GET('/accounts', { params: { query: { limit: 1, cursor, minPosition: position } } });
    let cursor: string | null = null;
    do {
      const res = await page(cursor ?? undefined);
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      seen.push(...res.data!.accounts.map((a) => ({ accountId: a.accountId, openedAt: a.openedAt as string })));
      cursor = res.data!.nextCursor;
      if (cursor) expect(cursor).toMatch(/^\d{1,15}\.[\x21-\x7e]{1,200}$/);
    } while (cursor);
    const ids = seen.map((a) => a.accountId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of opened) expect(ids).toContain(id);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.openedAt <= seen[i - 1]!.openedAt).toBe(true);
    // A cursor built by hand from an account's openedAt and id continues right after it.
    const [first, second] = seen;
    const built = `${Date.parse(first!.openedAt)}.${first!.accountId}`;
    const after = await api().GET('/accounts', { params: { query: { limit: 1, cursor: built } } });
    expect(after.data!.accounts[0]!.accountId).toBe(second!.accountId);
    for (const forged of ['AAAA', '12.', '.abc', '1'.repeat(16) + '.x']) {
      const res = await api().GET('/accounts', { params: { query: { cursor: forged } } });
      expect(res.response.status, forged).toBe(400);
      expect((res.error?.error.details as Array<{ field: string }>)[0]!.field).toBe('cursor');
    }
  });

  it('answers 400 for malformed time travel parameters', async () => {
    const id = await open();
    const cases: Array<[string, string]> = [
      ['asOf=yesterday', 'asOf'],
      ['asOf=2024-13-01T00:00:00Z', 'asOf'],
      ['asOf=2024-01-01', 'asOf'],
      ['version=0', 'version'],
      ['version=-1', 'version'],
      ['version=1.5', 'version'],
      ['version=abc', 'version'],
      ['version=1&version=2', 'version'],
      ['limit=5', 'query'],
    ];
    for (const [query, field] of cases) {
      // Raw: malformed query strings (repeated, non-numeric, unknown parameters) the typed client cannot send.
      const res = await http(stack.baseUrl, 'GET', `/accounts/${id}?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(
        res.body.error.details.map((d: { field: string }) => d.field),
        query,
      ).toContain(field);
    }
  });

  it('refuses a command with a stale If-Match with 412 precondition_failed and writes nothing; a current one succeeds', async () => {
    const id = await open();
    await deposit(id, 5);
    const before = await eventCount();
    for (const command of [deposit, withdraw]) {
      const stale = await command(id, 1, '"1"');
      expect(stale.response.status).toBe(412);
      expect(stale.error?.error).toMatchObject({ code: 'precondition_failed', details: { expected: 1, actual: 2 } });
    }
    expect(await eventCount()).toBe(before);
    const current = await withdraw(id, 1, '"2"');
    expect(current.response.status).toBe(200);
    expect(current.data).toMatchObject({ balance: 104, version: 3 });
    const any = await deposit(id, 1, '*');
    expect(any.response.status).toBe(200);
    const malformed = await deposit(id, 1, 'W/"4"');
    expect(malformed.response.status).toBe(400);
    expect((malformed.error?.error.details as Array<{ field: string }>)[0]!.field).toBe('if-match');
  });

  it('answers 404 for an unknown account on every route and writes nothing', async () => {
    const before = await eventCount();
    const routes = [
      ['GET /accounts/nope', () => account('nope')],
      ['GET /accounts/nope/events', () => eventsOf('nope')],
      ['GET /accounts/nope?version=1', () => account('nope', { version: '1' })],
      ['POST /accounts/nope/deposits (If-Match)', () => deposit('nope', 1, '"3"')],
      ['POST /accounts/nope/withdrawals', () => withdraw('nope', 1)],
      ['POST /accounts/nope/deposits (If-Match)', () => deposit('nope', 1, '"3"')],
    ] as const;
    for (const [name, call] of routes) {
      const res = await call();
      expect(res.response.status, name).toBe(404);
      expect(res.error?.error.code).toBe('not_found');
    }
    expect(await eventCount()).toBe(before);
  });

  // Raw requests: bodies, values and ids the typed client's types forbid, sent on purpose.
  it('answers every malformed command with 400 naming the field, never 500, and writes nothing', async () => {
    const id = await open();
    const before = await eventCount();
    const amountCases: Array<[unknown, string]> = [
      [{ amount: -5 }, 'amount'],
      [{ amount: 0 }, 'amount'],
      [{ amount: 1.5 }, 'amount'],
      [{ amount: Number.MAX_SAFE_INTEGER + 2 }, 'amount'],
      [{ amount: MAX_AMOUNT + 1 }, 'amount'],
      [{ amount: '10' }, 'amount'],
      [{ amount: 'ten' }, 'amount'],
      [{ amount: null }, 'amount'],
      [{ amount: true }, 'amount'],
      [{ amount: [10] }, 'amount'],
      [{ amount: { value: 10 } }, 'amount'],
      [{}, 'amount'],
      [{ amount: 10, note: 'extra' }, 'body'],
      [[{ amount: 10 }], 'body'],
      ['{"amount": 1e400}', 'amount'],
    ];
    for (const path of ['deposits', 'withdrawals']) {
      for (const [body, field] of amountCases) {
        const res = await http(stack.baseUrl, 'POST', `/accounts/${id}/${path}`, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
        expect(
          res.body.error.details.map((d: { field: string }) => d.field),
          `${path} ${JSON.stringify(body)}`,
        ).toContain(field);
      }
      // Not JSON, or a bare JSON value where an object belongs: the strict body parser refuses it.
      for (const raw of ['{"amount":', '"10"', '10', '1e400']) {
        const malformed = await http(stack.baseUrl, 'POST', `/accounts/${id}/${path}`, raw);
        expect(malformed.status, raw).toBe(400);
        expect(malformed.body.error.code, raw).toBe('malformed_json');
      }
      const noBody = await fetch(`${stack.baseUrl}/accounts/${id}/${path}`, { method: 'POST' });
      expect(noBody.status).toBe(400);
      const wrongType = await fetch(`${stack.baseUrl}/accounts/${id}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'amount=5',
      });
      expect(wrongType.status).toBe(415);
    }
    const badId = await http(stack.baseUrl, 'POST', `/accounts/${encodeURIComponent('bad id!')}/deposits`, {
      amount: 1,
    });
    expect(badId.status).toBe(400);
    expect(badId.body.error.details[0].field).toBe('id');

    const openCases: Array<[unknown, string]> = [
      [{}, 'owner'],
      [{ owner: '' }, 'owner'],
      [{ owner: '   ' }, 'owner'],
      [{ owner: 42 }, 'owner'],
      [{ owner: 'x'.repeat(201) }, 'owner'],
      [{ owner: 'ada', initialDeposit: -1 }, 'initialDeposit'],
      [{ owner: 'ada', initialDeposit: 0.5 }, 'initialDeposit'],
      [{ owner: 'ada', initialDeposit: '100' }, 'initialDeposit'],
      [{ owner: 'ada', initialDeposit: MAX_AMOUNT + 1 }, 'initialDeposit'],
      [{ owner: 'ada', balance: 100 }, 'body'],
    ];
    for (const [body, field] of openCases) {
      const res = await http(stack.baseUrl, 'POST', '/accounts', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.error.details.map((d: { field: string }) => d.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    expect(await eventCount()).toBe(before);
    expect((await account(id)).data).toMatchObject({ balance: 100, version: 1 });
  });
});
