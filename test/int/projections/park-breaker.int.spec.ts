import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectionState } from '../../../readside/projections/generations';
import { allCaughtUp, startProjectorProcess } from '../../helpers/projections';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { http, type Stack } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

const accountsCheckpoint = async (stack: Stack) => {
  const state = await projectionState(stack.mongo.db, 'accounts');
  return stack.mongo.db.collection<{ _id: string; position: number; stalledSince?: Date | null }>('checkpoints').findOne({ _id: `projection:accounts:g${state.active}` });
};
const letterAt = (stack: Stack, position: number) => stack.mongo.db.collection('dead_letters').findOne({ source: 'projection', service: 'accounts', 'input.position': position });

async function stop(projector: ChildProcess) {
  const exited = new Promise((r) => projector.once('exit', r));
  projector.kill('SIGTERM');
  await exited;
}

describe('the park breaker', () => {
  const t = useSagaStack({ ...fastSaga, PROJECTION_STALL_AFTER: 3_000 }, { consumers: false });

  it('remembers the streams parked in the last minute across an applied event and a projector restart: a third stream is held, not parked', async () => {
    let projector = await startProjectorProcess(t.stack);
    try {
      const [a, b, c, d] = [await t.h.openAccount(100), await t.h.openAccount(100), await t.h.openAccount(100), await t.h.openAccount(100)];
      await allCaughtUp(t.stack);

      // Two poison events, of two streams, are parked.
      for (const accountId of [a, b]) {
        await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'error', streamId: `account-${accountId}` });
        const deposit = await http(t.stack.baseUrl, 'POST', `/accounts/${accountId}/deposits`, { amount: 1 });
        await waitFor(`the poison event of account-${accountId} to be parked`, () => letterAt(t.stack, deposit.body.position));
      }
      const secondParkedAt = Date.now();
      await http(t.stack.baseUrl, 'DELETE', '/faults/projection:accounts');
      // Another stream's event applies in between.
      const good = await http(t.stack.baseUrl, 'POST', `/accounts/${d}/deposits`, { amount: 1 });
      await waitFor('the good event to be applied', async () => ((await accountsCheckpoint(t.stack))?.position ?? 0) >= good.body.position);

      await stop(projector);
      projector = await startProjectorProcess(t.stack);

      // A third stream fails within the minute: the breaker, read back from the projection's state, holds it.
      await http(t.stack.baseUrl, 'PUT', '/faults/projection:accounts', { mode: 'error', streamId: `account-${c}` });
      const third = await http(t.stack.baseUrl, 'POST', `/accounts/${c}/deposits`, { amount: 1 });
      const decided = await waitFor('the third stream failure to be decided', async () => {
        if (await letterAt(t.stack, third.body.position)) return 'parked';
        return (await accountsCheckpoint(t.stack))?.stalledSince ? 'held as systemic' : undefined;
      });
      expect(Date.now() - secondParkedAt, 'the test ran within the breaker window').toBeLessThan(60_000);
      expect(decided).toBe('held as systemic');

      // Once the failure is gone, the held event applies by itself: nothing was lost, nothing parked.
      await http(t.stack.baseUrl, 'DELETE', '/faults/projection:accounts');
      await waitFor('the held event to be applied', async () => {
        const cp = await accountsCheckpoint(t.stack);
        return (cp?.position ?? 0) >= third.body.position && !cp?.stalledSince;
      });
      expect(await letterAt(t.stack, third.body.position)).toBeNull();
      const listed = await http(t.stack.baseUrl, 'GET', `/accounts?limit=200&minPosition=${third.body.position}`);
      expect(listed.body.accounts.find((row: { accountId: string }) => row.accountId === c)?.balance).toBe(101);
    } finally {
      projector.kill('SIGKILL');
    }
  }, 90_000);
});
