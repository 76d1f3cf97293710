import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountEvolver,
  accountStreamId,
  createAccountService,
  InsufficientFundsError,
  type AccountService,
  type AccountView,
} from '../../../domain/accounts';
import { createEventStore } from '../../../eventstore';
import { freshStore, realEventCount, type FreshStore } from '../eventstore/fresh-db';

/**
 * An account service keeps the latest fold of each account it has seen and answers a repeated
 * command from the append itself. Two services on one database stand for two processes: each
 * one's held folds go stale whenever the other writes. Whatever the interleaving, every answer is
 * the account as its log says, and a repeat (same event id) moves no money twice.
 */
describe('account service: held folds and repeated commands across processes', () => {
  let fresh: FreshStore;
  let processes: AccountService[];
  beforeAll(async () => {
    fresh = await freshStore();
    processes = [
      createAccountService({ store: fresh.store, snapshotEvery: 5 }),
      createAccountService({ store: createEventStore(fresh.db), snapshotEvery: 5 }),
    ];
  });
  afterAll(async () => {
    await fresh?.close();
  });

  const step = fc.record({
    via: fc.integer({ min: 0, max: 1 }),
    kind: fc.constantFrom('deposit', 'withdraw', 'read'),
    amount: fc.integer({ min: 1, max: 60 }),
    // A command repeats an earlier one (a retried activity) about a third of the time.
    repeat: fc.option(fc.nat(), { freq: 3 }),
  });

  it('answers every command and read as the log says, whichever process held which fold', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        run++;
        const { accountId } = await processes[0]!.openAccount({ owner: `p${run}`, initialDeposit: 100 });
        let balance = 100;
        const done: {
          via: number;
          kind: 'deposit' | 'withdraw';
          amount: number;
          eventId: string;
          answer: AccountView | 'insufficient';
        }[] = [];
        for (const [i, s] of steps.entries()) {
          const service = processes[s.via]!;
          if (s.kind === 'read') {
            const view = await service.getAccount(accountId);
            expect(view!.balance).toBe(balance);
            continue;
          }
          const earlier = s.repeat !== null && done.length > 0 ? done[s.repeat % done.length]! : undefined;
          const command = earlier ?? { via: s.via, kind: s.kind, amount: s.amount, eventId: `run${run}-step${i}` };
          const events = await realEventCount(fresh.db);
          const answer = await service[command.kind]({
            accountId,
            amount: command.amount,
            eventId: command.eventId,
          }).catch((err: unknown) => {
            if (err instanceof InsufficientFundsError) return 'insufficient' as const;
            throw err;
          });
          if (earlier && earlier.answer !== 'insufficient') {
            // The same command again: the same answer, and nothing written.
            expect(answer).toEqual(earlier.answer);
            expect(await realEventCount(fresh.db)).toBe(events);
            continue;
          }
          // A new command, or the repeat of one that was refused and wrote nothing: judged on the balance now.
          if (answer !== 'insufficient') balance += command.kind === 'deposit' ? command.amount : -command.amount;
          else expect(command.amount).toBeGreaterThan(balance);
          if (answer !== 'insufficient') expect(answer.balance).toBe(balance);
          if (earlier) earlier.answer = answer;
          else done.push({ ...command, kind: command.kind, answer });
        }
        const log = await fresh.store.readStream(accountStreamId(accountId));
        const folded = log.reduce(accountEvolver.evolve, accountEvolver.initialState());
        expect(folded).toMatchObject({ balance });
        for (const service of processes)
          expect((await service.getAccount(accountId))!).toMatchObject({
            balance,
            version: log.length,
            position: log.at(-1)!.position,
          });
      }),
      { numRuns: 40 },
    );
  });
});
