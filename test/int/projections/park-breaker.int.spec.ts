import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectionState } from '../../../readside/projections/generations';
import { allCaughtUp, startProjectorProcess } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { dataOf } from '../../../api/client';
import { apiOf, type Stack } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { waitFor } from '../../helpers/wait-for';

const accountsCheckpoint = async (stack: Stack) => {
  const state = await projectionState(stack.mongo.db, 'accounts');
  return stack.mongo.db
    .collection<{ _id: string; position: number; stalledSince?: Date | null }>('checkpoints')
    .findOne({ _id: `projection:accounts:g${state.active}` });
};
const letterAt = (stack: Stack, position: number) =>
  stack.mongo.db
    .collection('dead_letters')
    .findOne({ source: 'projection', service: 'accounts', 'input.position': position });

async function stop(projector: ChildProcess) {
  const exited = new Promise((r) => projector.once('exit', r));
  projector.kill('SIGTERM');
  await exited;
}

describe('the park breaker', () => {
  const t = useSagaStack({ ...fastSaga, PROJECTION_STALL_AFTER: 3_000 }, { consumers: false });
  const faults = () => faultsOf(apiOf(t.stack));
  const deposit = (id: string, amount: number) =>
    dataOf(apiOf(t.stack).POST('/accounts/{id}/deposits', { params: { path: { id } }, body: { amount } }));

  it('remembers the streams parked in the last minute across an applied event and a projector restart: a third stream is held, not parked', async () => {
    let projector = await startProjectorProcess(t.stack);
    try {
      const [a, b, c, d] = [
        await t.h.openAccount(100),
        await t.h.openAccount(100),
        await t.h.openAccount(100),
        await t.h.openAccount(100),
      ];
      await allCaughtUp(t.stack);

      // Two poison events, of two streams, are parked.
      for (const accountId of [a, b]) {
        await faults().inject('projection:accounts', { mode: 'error', streamId: `account-${accountId}` });
        const deposited = await deposit(accountId, 1);
        await waitFor(`the poison event of account-${accountId} to be parked`, () =>
          letterAt(t.stack, deposited.position),
        );
      }
      const secondParkedAt = Date.now();
      await faults().clear('projection:accounts');
      // Another stream's event applies in between.
      const good = await deposit(d, 1);
      await waitFor(
        'the good event to be applied',
        async () => ((await accountsCheckpoint(t.stack))?.position ?? 0) >= good.position,
      );

      await stop(projector);
      projector = await startProjectorProcess(t.stack);

      // A third stream fails within the minute: the breaker, read back from the projection's state, holds it.
      await faults().inject('projection:accounts', { mode: 'error', streamId: `account-${c}` });
      const third = await deposit(c, 1);
      const decided = await waitFor('the third stream failure to be decided', async () => {
        if (await letterAt(t.stack, third.position)) return 'parked';
        return (await accountsCheckpoint(t.stack))?.stalledSince ? 'held as systemic' : undefined;
      });
      expect(Date.now() - secondParkedAt, 'the test ran within the breaker window').toBeLessThan(60_000);
      expect(decided).toBe('held as systemic');

      // Once the failure is gone, the held event applies by itself: nothing was lost, nothing parked.
      await faults().clear('projection:accounts');
      await waitFor('the held event to be applied', async () => {
        const cp = await accountsCheckpoint(t.stack);
        return (cp?.position ?? 0) >= third.position && !cp?.stalledSince;
      });
      expect(await letterAt(t.stack, third.position)).toBeNull();
      const listed = await dataOf(
        apiOf(t.stack).GET('/accounts', { params: { query: { limit: 200, minPosition: third.position } } }),
      );
      expect(listed.accounts.find((row) => row.accountId === c)?.balance).toBe(101);
    } finally {
      projector.kill('SIGKILL');
    }
  }, 90_000);
});
