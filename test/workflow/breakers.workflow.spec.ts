import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import type { Breakers } from '../../activities/breakers';
import { workerParts } from '../../composition';
import { breakerStream } from '../../domain/breakers';
import { FAST_BREAKER } from '../helpers/fast-breaker';
import { createAccountService } from '../../domain/accounts';
import { compensationsThrough } from '../../domain/orders/steps';
import { cancelUpdate, statusQuery } from '../../workflows/definitions';
import { BreakerInterceptor } from '../../workers/breaker-interceptor';
import { startSaga as startTimeSkippingSaga } from '../helpers/start-saga';
import { useTimeSkippingWorker } from '../helpers/time-skipping-worker';
import { replayFixtures } from '../replay/replay-histories';
import { waitFor } from '../helpers/wait-for';
import { MATRIX_SETTINGS } from './saga-env';

const BALANCE = 100_000;
const PRICE = 1_500;

/**
 * The saga against an outage of its payment service, in Temporal's time-skipping server, with the
 * worker's breaker interceptor and the real activities on the real MongoDB server: the outage is
 * played by the payment step itself failing (technically) for as long as the test says.
 */
describe('a provider outage pauses the step, not the business (circuit breakers, time-skipping)', () => {
  let breakers: Breakers;
  /** While true, processPayment fails as a service that is down would; `hang`: it answers nothing instead. */
  const outage = { payment: false, hang: false };
  /** processPayment calls that reached the service, by order. */
  const paymentCalls = new Map<string, number>();

  const t = useTimeSkippingWorker('breakers', (db) => {
    const parts = workerParts({ db, breakers: FAST_BREAKER });
    breakers = parts.breakers;
    const real = parts.activities;
    const activities: Activities = {
      ...real,
      processPayment: async (args) => {
        paymentCalls.set(args.orderId, (paymentCalls.get(args.orderId) ?? 0) + 1);
        if (outage.payment && outage.hang) await new Promise((r) => setTimeout(r, 5_000));
        if (outage.payment) throw ApplicationFailure.retryable('payment service is down (test outage)', 'Outage');
        return real.processPayment(args);
      },
    };
    return {
      activities,
      interceptors: { activity: [(ctx: Context) => ({ inbound: new BreakerInterceptor(ctx, breakers) })] },
    };
  });

  async function startSaga(balance = BALANCE, settings = MATRIX_SETTINGS) {
    const { orderId, accountId, handle } = await startTimeSkippingSaga(t, 'breaker', {
      balance,
      price: PRICE,
      settings,
    });
    const balanceNow = async () => (await createAccountService({ store: t.store }).getAccount(accountId))?.balance;
    return { orderId, handle, balanceNow };
  }

  /**
   * The saga's history replays on the workflow code: what a query on a worker that no longer holds
   * the saga does, decided here once rather than by which worker a query happens to reach.
   */
  async function expectReplays(handle: WorkflowHandle) {
    const failures = await replayFixtures([{ file: handle.workflowId, history: await handle.fetchHistory() }]);
    expect(failures.map((f) => f.message)).toEqual([]);
  }

  const transitions = async () =>
    (await t.store.readStream(breakerStream('payment'))).map(
      (e) => `${e.type}:${(e.data as { by?: string }).by ?? ''}`,
    );

  it('a business failure (insufficient funds) never counts against the breaker', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const { handle } = await startSaga(100);
      expect((await handle.result()).status).toBe('CANCELLED');
    }
    expect(await transitions()).toEqual([]);
    expect((await breakers.state('payment')).status).toBe('closed');
  });

  it(
    'an outage longer than the retry budget compensates nothing: the saga waits, the breaker probes with backoff, and the saga completes after',
    { timeout: 90_000 },
    async () => {
      outage.payment = true;
      const { orderId, handle, balanceNow } = await startSaga();
      const waiting = await waitFor(
        'the saga to wait on the payment breaker',
        async () => (await handle.query(statusQuery)).waitingOnBreaker,
        30_000,
      );
      expect(waiting).toMatchObject({ service: 'payment', step: 'processPayment' });
      // Two probes fail before the service comes back: the outage outlasts the step's 3 attempts.
      await waitFor(
        'two failed probes',
        async () => (await transitions()).filter((t) => t === 'BreakerOpened:probe').length >= 2,
        30_000,
      );
      const callsDuringOutage = paymentCalls.get(orderId)!;
      expect(callsDuringOutage).toBeGreaterThan(MATRIX_SETTINGS.policies.payment.maximumAttempts);
      outage.payment = false;

      const result = await handle.result();
      expect(result).toMatchObject({ status: 'COMPLETED', failureReason: null });
      const saga = await handle.query(statusQuery);
      expect(saga.compensationsDone).toEqual([]);
      expect(saga.waitingOnBreaker).toBeNull();
      expect(saga.stepsDone).toContain('processPayment');
      expect(await balanceNow()).toBe(BALANCE - 2 * PRICE);
      // Bounded: the two calls that opened it, one per probe (two failed, one answered).
      expect(paymentCalls.get(orderId)).toBeLessThanOrEqual(callsDuringOutage + 1);
      const seen = await transitions();
      expect(seen[0]).toBe('BreakerOpened:failures');
      expect(seen.at(-1)).toBe('BreakerClosed:probe');
      expect(seen).toContain('BreakerHalfOpened:');
      await expectReplays(handle);
    },
  );

  it(
    'a provider that hangs counts as failing before its attempts time out: the saga waits and completes after',
    { timeout: 90_000 },
    async () => {
      const before = (await transitions()).length;
      outage.payment = true;
      outage.hang = true;
      // Attempts of 1.5 s: a call unanswered after 1.2 s counts as failed (no time skips while it runs).
      const settings = {
        ...MATRIX_SETTINGS,
        policies: {
          ...MATRIX_SETTINGS.policies,
          payment: { ...MATRIX_SETTINGS.policies.payment, startToCloseTimeoutMs: 1_500 },
        },
      };
      const { handle } = await startSaga(BALANCE, settings);
      try {
        await waitFor(
          'the saga to wait on the payment breaker',
          async () => (await handle.query(statusQuery)).waitingOnBreaker,
          30_000,
        );
        expect((await transitions()).slice(before)[0]).toBe('BreakerOpened:failures');
        const [opened] = (await t.store.readStream(breakerStream('payment'))).slice(before);
        expect((opened!.data as { reason: string }).reason).toMatch(/no answer within 1200 ms/);
      } finally {
        outage.payment = false;
        outage.hang = false;
      }
      expect(await handle.result()).toMatchObject({ status: 'COMPLETED' });
      expect((await handle.query(statusQuery)).compensationsDone).toEqual([]);
      await expectReplays(handle);
    },
  );

  it.each(['update', 'workflow-cancel'] as const)(
    'a cancel (%s) while the step waits on its breaker is accepted and compensated',
    { timeout: 60_000 },
    async (channel) => {
      outage.payment = true;
      try {
        const { handle, balanceNow } = await startSaga();
        await waitFor(
          'the saga to wait on the payment breaker',
          async () => (await handle.query(statusQuery)).waitingOnBreaker,
          30_000,
        );
        await holdOpenWhileWaiting(handle);
        if (channel === 'update') {
          expect(await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] })).toMatchObject({
            accepted: 'cancel',
          });
          expect((await handle.result()).status).toBe('CANCELLED');
        } else {
          await handle.cancel();
          await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
        }
        const saga = await handle.query(statusQuery);
        expect(saga.status).toBe('CANCELLED');
        expect(saga.compensationsDone).toEqual(compensationsThrough('processPayment'));
        expect(saga.stepsDone).not.toContain('processPayment');
        expect(await balanceNow()).toBe(BALANCE);
      } finally {
        outage.payment = false;
        await breakers.set('payment', 'closed', 'test: outage over', 'test-key');
      }
    },
  );

  /**
   * Holds the breaker open by hand, so that no probe is granted while the cancel is sent, and waits
   * until the saga waits on it again: a cancel that lands as an activity completes gets
   * ACTIVITY_UNKNOWN from the time-skipping server, which then never ends the workflow task. That
   * timing is checked on the dev server (test/int/saga/breaker-cancel-race.int.spec.ts).
   */
  async function holdOpenWhileWaiting(handle: WorkflowHandle) {
    await breakers.set('payment', 'open', 'test: hold the outage', 'test-key');
    // A probe granted just before is let run out (it fails: the service is down) and the saga waits again.
    await new Promise((r) => setTimeout(r, 1_500));
    await waitFor(
      'the saga to wait on the breaker held open',
      async () => (await handle.query(statusQuery)).waitingOnBreaker,
      30_000,
    );
    expect(await breakers.state('payment')).toMatchObject({ status: 'open', by: 'operator' });
  }
});
