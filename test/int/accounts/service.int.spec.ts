import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountEvolver,
  accountStreamId,
  AccountNotFoundError,
  createAccountService,
  InsufficientFundsError,
  type AccountService,
} from '../../../domain/accounts';
import { WrongExpectedVersionError } from '../../../eventstore';
import { freshStore, realEventCount, type FreshStore } from '../eventstore/fresh-db';

describe('account service', () => {
  let fresh: FreshStore;
  let accounts: AccountService;
  beforeAll(async () => {
    fresh = await freshStore();
    accounts = createAccountService({ store: fresh.store, snapshotEvery: 10 });
  });
  afterAll(async () => {
    await fresh?.close();
  });

  it('gives the same state when the whole stream is replayed as the service reports', async () => {
    const { accountId } = await accounts.openAccount({ owner: 'ada', initialDeposit: 1_000 });
    for (let i = 1; i <= 25; i++) {
      if (i % 3 === 0) await accounts.withdraw({ accountId, amount: 7 * i });
      else await accounts.deposit({ accountId, amount: 11 * i });
    }
    const current = await accounts.getAccount(accountId);
    const history = await accounts.history(accountId);
    const replayed = history.reduce(accountEvolver.evolve, accountEvolver.initialState());
    expect(replayed).toEqual({
      status: 'open',
      owner: 'ada',
      customerId: null,
      customer: null,
      balance: current!.balance,
      openedAt: current!.openedAt,
      updatedAt: current!.updatedAt,
    });
    expect(current).toMatchObject({ version: 26, position: history.at(-1)!.position });
    // Snapshots were taken along the way and give the same answer as a full fold.
    expect(
      await fresh.db.collection('snapshots').countDocuments({ streamId: accountStreamId(accountId) }),
    ).toBeGreaterThan(0);
    const full = await fresh.store.aggregateStream(accountStreamId(accountId), accountEvolver, { useSnapshots: false });
    expect(full.state).toEqual(replayed);
  });

  it('answers as the account was at earlier versions and instants', async () => {
    const { accountId } = await accounts.openAccount({ owner: 'bob', initialDeposit: 100 });
    await accounts.deposit({ accountId, amount: 50 });
    await accounts.withdraw({ accountId, amount: 30 });
    await accounts.deposit({ accountId, amount: 5 });
    const history = await accounts.history(accountId);

    expect((await accounts.getAccount(accountId, { version: 1 }))!.balance).toBe(100);
    expect((await accounts.getAccount(accountId, { version: 2 }))!.balance).toBe(150);
    expect((await accounts.getAccount(accountId, { version: 3 }))!.balance).toBe(120);
    expect(await accounts.getAccount(accountId, { version: 5 })).toBeNull();

    for (const event of history) {
      const asOf = event.metadata.timestamp;
      const expected = history
        .filter((e) => e.metadata.timestamp <= asOf)
        .reduce(accountEvolver.evolve, accountEvolver.initialState());
      const view = await accounts.getAccount(accountId, { asOf });
      expect(view).toMatchObject({
        balance: expected.status === 'open' ? expected.balance : -1,
        updatedAt: asOf.toISOString(),
      });
    }
    expect(
      await accounts.getAccount(accountId, { asOf: new Date(history[0]!.metadata.timestamp.getTime() - 1) }),
    ).toBeNull();
  });

  it('makes a withdrawal with an event id idempotent: a repeat writes nothing and answers as the first time', async () => {
    const { accountId } = await accounts.openAccount({ owner: 'cy', initialDeposit: 100 });
    const first = await accounts.withdraw({ accountId, amount: 60, reference: 'order-1', eventId: 'debit-order-1' });
    await accounts.deposit({ accountId, amount: 1 });
    const count = await realEventCount(fresh.db);
    // The balance (41) would not cover it again, yet the repeat succeeds: it is the same withdrawal.
    const again = await accounts.withdraw({ accountId, amount: 60, reference: 'order-1', eventId: 'debit-order-1' });
    expect(again).toEqual(first);
    expect(await realEventCount(fresh.db)).toBe(count);

    const racing = await Promise.all(
      Array.from({ length: 5 }, () => accounts.withdraw({ accountId, amount: 10, eventId: 'debit-order-2' })),
    );
    for (const r of racing) expect(r).toEqual(racing[0]);
    expect((await accounts.getAccount(accountId))!.balance).toBe(31);
  });

  it('records a refund as a deposit with reason refund and the order as reference, correlated in metadata', async () => {
    const { accountId } = await accounts.openAccount({ owner: 'dee', initialDeposit: 100 });
    await accounts.withdraw({
      accountId,
      amount: 40,
      reason: 'order-payment',
      reference: 'order-9',
      metadata: { correlationId: 'corr-9' },
    });
    const view = await accounts.refund({
      accountId,
      amount: 40,
      orderId: 'order-9',
      eventId: 'refund-order-9',
      metadata: { correlationId: 'corr-9', causationId: 'debit-9' },
    });
    expect(view.balance).toBe(100);
    const last = (await accounts.history(accountId)).at(-1)!;
    expect(last).toMatchObject({
      type: 'Deposited',
      data: { amount: 40, reason: 'refund', reference: 'order-9' },
      metadata: { eventId: 'refund-order-9', correlationId: 'corr-9', causationId: 'debit-9' },
    });
  });

  it('opens an account once for a repeated open with the same event id', async () => {
    const first = await accounts.openAccount({ owner: 'eve', initialDeposit: 5, eventId: 'open-eve' });
    const again = await accounts.openAccount({ owner: 'eve', initialDeposit: 5, eventId: 'open-eve' });
    expect(again).toEqual(first);
  });

  it('refuses a command pinned to a stale version and writes nothing', async () => {
    const { accountId } = await accounts.openAccount({ owner: 'fay', initialDeposit: 10 });
    await accounts.deposit({ accountId, amount: 1, expectedVersion: 1 });
    const count = await realEventCount(fresh.db);
    await expect(accounts.deposit({ accountId, amount: 1, expectedVersion: 1 })).rejects.toMatchObject({
      expected: 1,
      actual: 2,
    });
    await expect(accounts.deposit({ accountId, amount: 1, expectedVersion: 1 })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect(await realEventCount(fresh.db)).toBe(count);
  });

  it('throws typed domain errors for unknown accounts and overdrafts', async () => {
    await expect(accounts.deposit({ accountId: 'nobody', amount: 1 })).rejects.toBeInstanceOf(AccountNotFoundError);
    await expect(accounts.deposit({ accountId: 'nobody', amount: 1, expectedVersion: 3 })).rejects.toBeInstanceOf(
      AccountNotFoundError,
    );
    const { accountId } = await accounts.openAccount({ owner: 'gus', initialDeposit: 10 });
    await expect(accounts.withdraw({ accountId, amount: 11 })).rejects.toBeInstanceOf(InsufficientFundsError);
  });
});
