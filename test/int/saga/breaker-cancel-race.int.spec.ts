import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../../activities';
import type { Breakers } from '../../../activities/breakers';
import { workerParts } from '../../../composition';
import { createAccountService } from '../../../domain/accounts';
import { FAST_BREAKER } from '../../helpers/fast-breaker';
import { compensationsThrough } from '../../../domain/orders/steps';
import { cancelUpdate, statusQuery } from '../../../workflows/definitions';
import { BreakerInterceptor } from '../../../workers/breaker-interceptor';
import { startSaga } from '../../helpers/start-saga';
import { useDevServerWorker } from '../../helpers/time-skipping-worker';

const BALANCE = 100_000;

/** The moments around the end of a breaker wait at which a cancel is sent. */
const MOMENTS = {
  /** The wait's poll has been granted the probe and is about to answer: its activity completes as the cancel lands. */
  'as the wait answers': 'awaitBreaker',
  /** The probe call is under way when the cancel lands: the step must end before the saga compensates. */
  'during the probe call': 'processPayment',
} as const;
type Moment = keyof typeof MOMENTS;
const CHANNELS = ['update', 'workflow-cancel'] as const;
type Channel = (typeof CHANNELS)[number];

/**
 * A cancel that lands as a saga leaves its breaker wait, on the dev server: the payment service is
 * down throughout, so the saga waits on the breaker and is granted the probe; the cancel is sent
 * from inside the activity at each moment, so it always lands there. Temporal's time-skipping
 * server answers the first moment's cancel of a just-completed activity with ACTIVITY_UNKNOWN and
 * never ends the workflow task, so this timing is checked here, on a real server.
 */
describe('a cancel as the saga leaves its breaker wait is accepted and compensated (dev server)', () => {
  let breakers: Breakers;
  let cancelAt: { moment: Moment; send: () => Promise<void>; sent: boolean } | undefined;

  const t = useDevServerWorker('breaker-race', (db) => {
    const parts = workerParts({ db, breakers: FAST_BREAKER });
    breakers = parts.breakers;
    const real = parts.activities;
    // Sends the cancel once, at its moment, and gives it time to reach the workflow before the activity answers.
    const at = async (activity: string, orderId: string) => {
      if (!cancelAt || cancelAt.sent || MOMENTS[cancelAt.moment] !== activity || !orderId.startsWith('race')) return;
      cancelAt.sent = true;
      await cancelAt.send();
      await new Promise((r) => setTimeout(r, 150));
    };
    const activities: Activities = {
      ...real,
      awaitBreaker: async (input) => {
        const answer = await real.awaitBreaker(input);
        if (answer.answer !== 'open') await at('awaitBreaker', input.orderId);
        return answer;
      },
      processPayment: async (args) => {
        // A call that reaches the service while the breaker is half-open is the probe.
        if ((await breakers.state('payment')).status === 'half-open') await at('processPayment', args.orderId);
        throw ApplicationFailure.retryable('payment service is down (test outage)', 'Outage');
      },
    };
    return {
      activities,
      interceptors: { activity: [(ctx: Context) => ({ inbound: new BreakerInterceptor(ctx, breakers) })] },
    };
  });

  const cases = (Object.keys(MOMENTS) as Moment[]).flatMap((moment) =>
    CHANNELS.map((channel) => ({ moment, channel })),
  );

  it.each(cases)('a cancel ($channel) $moment', { timeout: 60_000 }, async ({ moment, channel }) => {
    // Each case starts from a closed breaker: no probe left granted to the case before.
    await breakers.set('payment', 'closed', 'test: next case', 'test-key');
    const { handle, accountId } = await startSaga(t, 'race', { balance: BALANCE });
    let update: Promise<unknown> | undefined;
    cancelAt = {
      moment,
      sent: false,
      send: async () => {
        if (channel === 'workflow-cancel') await handle.cancel();
        // The update waits for the workflow, which waits for this activity: it is sent, not awaited here.
        else update = handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] });
      },
    };
    try {
      await expectCancelled(handle, channel);
      expect(cancelAt.sent).toBe(true);
      if (update) expect(await update).toMatchObject({ accepted: 'cancel' });
      const saga = await handle.query(statusQuery);
      expect(saga.status).toBe('CANCELLED');
      expect(saga.compensationsDone).toEqual(compensationsThrough('processPayment'));
      expect(saga.stepsDone).not.toContain('processPayment');
      expect((await createAccountService({ store: t.store }).getAccount(accountId))?.balance).toBe(BALANCE);
    } finally {
      cancelAt = undefined;
    }
  });
});

async function expectCancelled(handle: WorkflowHandle, channel: Channel) {
  if (channel === 'update') expect((await handle.result()).status).toBe('CANCELLED');
  else await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
}
