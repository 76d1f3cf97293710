import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountService, type AccountService } from '../../../domain/accounts';
import { createEventStore, WrongExpectedVersionError, type EventStore } from '../../../eventstore';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';

/**
 * Many payments from one account at once, in one process (the worker's activities share one
 * account service): each decides on the fold the one before it left, so none loses a race to
 * another of this process, and none has to read the stream again. Another process's writes still
 * make a command re-read what follows its fold and decide again.
 */
describe('account service: a hot account', () => {
  let fresh: FreshStore;
  /** Appends the stores refused on their expected version, and reads of events, while counting. */
  let conflicts = 0;
  let reads = 0;
  /** How many events each read folded. */
  const folded: number[] = [];
  let here: AccountService;
  let elsewhere: AccountService;

  const counted = (store: EventStore): EventStore => ({
    ...store,
    append: async (...args) => {
      try {
        return await store.append(...args);
      } catch (err) {
        if (err instanceof WrongExpectedVersionError) conflicts++;
        throw err;
      }
    },
    aggregateStream: async (...args) => {
      reads++;
      const fold = await store.aggregateStream(...args);
      folded.push(fold.eventsFolded);
      return fold;
    },
  });

  beforeAll(async () => {
    fresh = await freshStore();
    here = createAccountService({ store: counted(fresh.store) });
    elsewhere = createAccountService({ store: counted(createEventStore(fresh.db)) });
  });
  afterAll(() => fresh?.close());

  const debits = (service: AccountService, accountId: string, n: number, tag: string) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        service.withdraw({ accountId, amount: 10, reference: `${tag}-${i}`, eventId: `${tag}-debit-${i}` }),
      ),
    );

  it('debits 48 concurrent payments from one warm account without a lost race or a read', async () => {
    const { accountId } = await here.openAccount({ owner: 'hot', initialDeposit: 10_000 });
    conflicts = 0;
    reads = 0;
    const views = await debits(here, accountId, 48, 'warm');
    expect({ conflicts, reads }).toEqual({ conflicts: 0, reads: 0 });
    // Each saw the account right after its own event: versions 2..49, balances down by 10 each.
    expect(views.map((v) => v.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 48 }, (_, i) => i + 2));
    for (const v of views) expect(v.balance).toBe(10_000 - 10 * (v.version - 1));
    expect((await elsewhere.getAccount(accountId))?.balance).toBe(10_000 - 480);
  });

  it('reads an account this process has not seen once, not once per payment', async () => {
    const { accountId } = await elsewhere.openAccount({ owner: 'cold', initialDeposit: 10_000 });
    conflicts = 0;
    reads = 0;
    await debits(here, accountId, 32, 'cold');
    expect({ conflicts, reads }).toEqual({ conflicts: 0, reads: 1 });
    expect((await elsewhere.getAccount(accountId))?.balance).toBe(10_000 - 320);
  });

  it('costs a debit the same on a long stream: nothing read on a kept fold, only what follows it after another process wrote', async () => {
    const { accountId } = await here.openAccount({ owner: 'long', initialDeposit: 10_000 });
    for (let i = 0; i < 5; i++)
      await fresh.store.append(
        `account-${accountId}`,
        Array.from({ length: 100 }, () => ({ type: 'Deposited', data: { amount: 1 } })),
        { streamType: 'account', expectedVersion: 1 + 100 * i },
      );
    await here.withdraw({ accountId, amount: 10, eventId: 'long-debit-0' }); // reads the 500 events once
    conflicts = 0;
    reads = 0;
    folded.length = 0;
    await here.withdraw({ accountId, amount: 10, eventId: 'long-debit-1' });
    expect({ conflicts, reads }).toEqual({ conflicts: 0, reads: 0 });
    await elsewhere.deposit({ accountId, amount: 1 }); // it reads from the snapshot the first read left
    expect(folded).toEqual([2]);
    reads = 0;
    folded.length = 0;
    const view = await here.withdraw({ accountId, amount: 10, eventId: 'long-debit-2' });
    expect({ conflicts, reads, folded }).toEqual({ conflicts: 1, reads: 1, folded: [1] });
    expect(view).toMatchObject({ version: 505, balance: 10_000 + 500 + 1 - 30 });
  });

  it('still settles payments racing from two processes, each charged once', async () => {
    const { accountId } = await here.openAccount({ owner: 'shared', initialDeposit: 10_000 });
    await debits(elsewhere, accountId, 1, 'shared-warm');
    const [a, b] = await Promise.all([debits(here, accountId, 24, 'here'), debits(elsewhere, accountId, 24, 'there')]);
    const versions = [...a, ...b].map((v) => v.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 48 }, (_, i) => i + 3));
    const history = await here.history(accountId);
    expect(history.filter((e) => e.type === 'Withdrawn')).toHaveLength(49);
    expect((await here.getAccount(accountId))?.balance).toBe(10_000 - 490);
  });
});
