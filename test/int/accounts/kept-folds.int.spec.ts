import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountStreamId,
  createAccountService,
  InsufficientFundsError,
  type AccountService,
} from '../../../domain/accounts';
import { createEventStore, type EventStore } from '../../../eventstore';
import { freshStore, realEventCount, type FreshStore } from '../eventstore/fresh-db';

/**
 * A command decides on the fold of the account this process kept from its last command, and
 * appends expecting that fold's version: a warm command reads nothing before its append. Another
 * process's events make the kept fold stale; the append then refuses, and a refusal decided on the
 * kept fold is checked against the stream before it is the answer.
 */
describe('account service: commands on the kept fold', () => {
  let fresh: FreshStore;
  /** Every command the services send, and for each whether the store's append sent it. */
  const sent: { name: string; collection: unknown; inAppend: boolean }[] = [];
  let appending = 0;
  let here: AccountService;
  let elsewhere: AccountService;

  /** The store, with the commands its appends send told apart from those sent before or after them. */
  const observed = (store: EventStore): EventStore => ({
    ...store,
    append: async (...args) => {
      appending++;
      try {
        return await store.append(...args);
      } finally {
        appending--;
      }
    },
  });

  beforeAll(async () => {
    fresh = await freshStore({ monitorCommands: true });
    fresh.client.on('commandStarted', (e: CommandStartedEvent) => {
      if (e.databaseName !== fresh.db.databaseName) return;
      sent.push({
        name: e.commandName,
        collection: (e.command as Record<string, unknown>)[e.commandName],
        inAppend: appending > 0,
      });
    });
    here = createAccountService({ store: observed(fresh.store) });
    // Another process: a store and a service of its own on the same database.
    elsewhere = createAccountService({ store: createEventStore(fresh.db) });
  });
  afterAll(() => fresh?.close());

  async function commandsOf<T>(run: () => Promise<T>): Promise<{ result: T; outside: string[]; inAppend: string[] }> {
    sent.length = 0;
    const result = await run();
    const describe = (c: (typeof sent)[number]) => `${c.name} ${String(c.collection)}`;
    return {
      result,
      outside: sent.filter((c) => !c.inAppend).map(describe),
      inAppend: sent.filter((c) => c.inAppend).map(describe),
    };
  }

  it('debits a warm account with nothing but its append', async () => {
    const { accountId } = await here.openAccount({ owner: 'warm', initialDeposit: 1_000 });
    await here.withdraw({ accountId, amount: 100, eventId: 'warm-debit-1' });
    const debit = await commandsOf(() =>
      here.withdraw({ accountId, amount: 200, reference: 'order-2', eventId: 'warm-debit-2' }),
    );
    console.log('warm debit commands', debit);
    expect(debit.outside).toEqual([]);
    expect(debit.inAppend.length).toBeGreaterThan(0);
    expect(debit.result).toMatchObject({ balance: 700, version: 3 });
    // A repeat of it is answered by the append as the first run left it, and writes nothing.
    const events = await realEventCount(fresh.db);
    expect(await here.withdraw({ accountId, amount: 200, reference: 'order-2', eventId: 'warm-debit-2' })).toEqual(
      debit.result,
    );
    expect(await realEventCount(fresh.db)).toBe(events);
  });

  it('opens a new account with nothing but its append', async () => {
    const opened = await commandsOf(() => here.openAccount({ owner: 'new', initialDeposit: 5 }));
    expect(opened.outside).toEqual([]);
    expect(opened.result).toMatchObject({ balance: 5, version: 1 });
  });

  it('decides right on a kept fold another process made stale: a refusal is checked, a conflict decided again', async () => {
    const { accountId } = await here.openAccount({ owner: 'stale', initialDeposit: 100 });
    await here.withdraw({ accountId, amount: 10 }); // kept here: balance 90, version 2
    await elsewhere.deposit({ accountId, amount: 50 }); // the stream: 140, version 3

    // The kept fold (90) would refuse 120; the stream (140) does not.
    const covered = await commandsOf(() => here.withdraw({ accountId, amount: 120, eventId: 'stale-1' }));
    expect(covered.result).toMatchObject({ balance: 20, version: 4 });
    expect(covered.outside.some((c) => c === 'find events')).toBe(true);

    // The kept fold (20) allows 15; the stream took 10 meanwhile (10 left): decided again and refused, with the real balance.
    await elsewhere.withdraw({ accountId, amount: 10 });
    const refused = await here.withdraw({ accountId, amount: 15 }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InsufficientFundsError);
    expect(refused).toMatchObject({ balance: 10, amount: 15 });

    // The kept fold (10 at version 5) allows 4; the stream got 30 meanwhile: the append conflicts and the debit goes on the stream as it is.
    await elsewhere.deposit({ accountId, amount: 30 });
    expect(await here.withdraw({ accountId, amount: 4 })).toMatchObject({ balance: 36, version: 7 });

    // A repeat of the other process's command, on a fold that does not hold it: the first run's answer, nothing written.
    const first = await elsewhere.withdraw({ accountId, amount: 30, eventId: 'stale-twin' });
    const events = await realEventCount(fresh.db);
    expect(await here.withdraw({ accountId, amount: 30, eventId: 'stale-twin' })).toEqual(first);
    expect(await realEventCount(fresh.db)).toBe(events);

    // A version pinned by the caller is checked against the stream, not the kept fold.
    await elsewhere.deposit({ accountId, amount: 1 });
    const pinned = (await elsewhere.getAccount(accountId))!.version;
    expect(await here.deposit({ accountId, amount: 2, expectedVersion: pinned })).toMatchObject({
      balance: 9,
      version: pinned + 1,
    });
    await expect(here.deposit({ accountId, amount: 2, expectedVersion: pinned })).rejects.toMatchObject({
      expected: pinned,
      actual: pinned + 1,
    });

    const log = await fresh.store.readStream(accountStreamId(accountId));
    expect(log.map((e) => [e.type, (e.data as { amount?: number }).amount])).toEqual([
      ['AccountOpened', undefined],
      ['Withdrawn', 10],
      ['Deposited', 50],
      ['Withdrawn', 120],
      ['Withdrawn', 10],
      ['Deposited', 30],
      ['Withdrawn', 4],
      ['Withdrawn', 30],
      ['Deposited', 1],
      ['Deposited', 2],
    ]);
    for (const service of [here, elsewhere])
      expect(await service.getAccount(accountId)).toMatchObject({ balance: 9, version: log.length });
  });

  it('still snapshots an account whose commands read nothing', async () => {
    const snapshotting = createAccountService({ store: fresh.store, snapshotEvery: 5 });
    const { accountId } = await snapshotting.openAccount({ owner: 'busy', initialDeposit: 100 });
    for (let i = 0; i < 11; i++) await snapshotting.deposit({ accountId, amount: 1 });
    const snapshots = await fresh.db
      .collection('snapshots')
      .find({ streamId: accountStreamId(accountId) })
      .toArray();
    expect(snapshots.map((s) => s.version as number)).toEqual([5, 10]);
  });

  it('refuses an overdraft on a kept fold that is right, after checking the stream', async () => {
    const { accountId } = await here.openAccount({ owner: 'poor', initialDeposit: 10 });
    const refused = await commandsOf(() => here.withdraw({ accountId, amount: 11 }).catch((err: unknown) => err));
    expect(refused.result).toBeInstanceOf(InsufficientFundsError);
    expect(refused.outside).toContain('find events');
    expect(refused.inAppend).toEqual([]);
  });
});
