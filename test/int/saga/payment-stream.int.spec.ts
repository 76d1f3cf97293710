import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsPort } from '../../../activities/accounts-port';
import { createPaymentActivities, debitEventId } from '../../../activities/payment';
import { createAccountService, type AccountService } from '../../../domain/accounts';
import { evolve, initialState, type PaymentDecision } from '../../../domain/payments';
import type { EventStore } from '../../../eventstore';
import { freshStore, type FreshStore } from '../eventstore/fresh-db';

/**
 * The Payment service against the real MongoDB server: the payment's stream is its state, each
 * change one conditional append, and the debit on the account and PaymentCompleted on the payment's
 * stream (two streams, written together but not in one transaction) are reconciled by retries and
 * by the refund.
 */
describe('payment stream', () => {
  let s: FreshStore;
  let accounts: AccountService;
  let unique = 0;
  const orderOf = (name: string) => `${name}-${++unique}`;

  beforeAll(async () => {
    s = await freshStore();
    accounts = createAccountService({ store: s.store });
  });
  afterAll(() => s?.close());

  /** A payment service on `store` (a worker of its own: its own kept folds and its own view of the accounts). */
  const paymentService = (store: EventStore = s.store) =>
    createPaymentActivities({
      db: s.db,
      events: store,
      accounts: accountsPort(createAccountService({ store }), s.store),
    });

  /**
   * The store, except that the next `crashes` appends to a payment stream die before they are
   * written (a worker killed there), both alone and right behind the debit they follow (the debit
   * is then written and the completion is not).
   */
  function crashingBeforePaymentAppends(crashes: number): EventStore {
    let left = crashes;
    const dies = (streamId: string) => streamId.startsWith('payment-') && left-- > 0;
    const killed = () => new Error('worker killed after the debit, before the payment was recorded');
    return {
      ...s.store,
      append: async (streamId, events, options) => {
        if (dies(streamId)) throw killed();
        return s.store.append(streamId, events, options);
      },
      appendPair: (first, second) => {
        const lead = s.store.append(first.streamId, first.events, first.options);
        const follow = lead.then(() =>
          dies(second.streamId)
            ? Promise.reject(killed())
            : s.store.append(second.streamId, second.events, second.options),
        );
        return { first: lead, second: follow };
      },
    };
  }

  const openAccount = async (balance: number) =>
    (await accounts.openAccount({ owner: `payer-${++unique}`, initialDeposit: balance })).accountId;
  const balance = async (accountId: string) => (await accounts.getAccount(accountId))!.balance;
  const movements = async (accountId: string) =>
    (await accounts.history(accountId))
      .filter((e) => e.type !== 'AccountOpened')
      .map((e) => `${e.type} ${(e.data as { amount: number }).amount}`);
  const stream = async (orderId: string) => (await s.store.readStream(`payment-${orderId}`)).map((e) => e.type);
  const stateOf = async (orderId: string) =>
    (await s.store.readStream(`payment-${orderId}`)).reduce(
      (state, e) => evolve(state, e as unknown as PaymentDecision),
      initialState(),
    );

  it('records a charge and its refund as events of the payment stream and writes no payments document', async () => {
    const act = paymentService();
    const accountId = await openAccount(5_000);
    const ctx = { orderId: orderOf('charged'), correlationId: 'c', accountId };
    expect(await act.processPayment({ ...ctx, amount: 1_200 })).toEqual({ charged: 1_200 });
    expect(await act.processPayment({ ...ctx, amount: 1_200 })).toEqual({ charged: 1_200 });
    expect(await stream(ctx.orderId)).toEqual(['PaymentCompleted']);
    expect(await act.refundPayment(ctx)).toEqual({ refunded: 1_200 });
    expect(await act.refundPayment(ctx)).toEqual({ refunded: 1_200 });
    expect(await stream(ctx.orderId)).toEqual(['PaymentCompleted', 'PaymentRefunded']);
    expect(await movements(accountId)).toEqual(['Withdrawn 1200', 'Deposited 1200']);
    expect(await s.db.collection('payments').countDocuments()).toBe(0);
  });

  it('records a void when the compensation comes first, so that a late charge refuses before any money moves', async () => {
    const act = paymentService();
    const accountId = await openAccount(5_000);
    const ctx = { orderId: orderOf('void-first'), correlationId: 'c', accountId };
    expect(await act.refundPayment(ctx)).toEqual({ refunded: 0 });
    expect(await stream(ctx.orderId)).toEqual(['PaymentVoided']);
    // Another worker, which has never seen this payment.
    await expect(paymentService().processPayment({ ...ctx, amount: 1_000 })).rejects.toMatchObject({
      type: 'InsufficientFunds',
      message: 'payment was voided by a compensation before it could be charged',
    });
    expect(await movements(accountId)).toEqual([]);
    expect(await stream(ctx.orderId)).toEqual(['PaymentVoided']);
  });

  it('records a decline, refuses the charge as a business failure, and refunds nothing', async () => {
    const act = paymentService();
    const accountId = await openAccount(500);
    const ctx = { orderId: orderOf('declined'), correlationId: 'c', accountId };
    await expect(act.processPayment({ ...ctx, amount: 1_000 })).rejects.toMatchObject({
      type: 'InsufficientFunds',
      nonRetryable: true,
    });
    expect(await stream(ctx.orderId)).toEqual(['PaymentDeclined']);
    await expect(act.processPayment({ ...ctx, amount: 1_000 })).rejects.toMatchObject({ type: 'InsufficientFunds' });
    expect(await act.refundPayment(ctx)).toEqual({ refunded: 0 });
    expect(await stream(ctx.orderId)).toEqual(['PaymentDeclined']);
    expect(await balance(accountId)).toBe(500);
  });

  describe('a crash after the debit and before the payment is recorded', () => {
    it('is completed exactly once by the retry', async () => {
      const accountId = await openAccount(5_000);
      const ctx = { orderId: orderOf('crash-retry'), correlationId: 'c', accountId, amount: 2_000 };
      await expect(paymentService(crashingBeforePaymentAppends(1)).processPayment(ctx)).rejects.toThrow(
        'worker killed',
      );
      expect(await movements(accountId)).toEqual(['Withdrawn 2000']);
      expect(await stream(ctx.orderId)).toEqual([]);
      // The retry runs on another worker (the first one died).
      expect(await paymentService().processPayment(ctx)).toEqual({ charged: 2_000 });
      expect(await paymentService().processPayment(ctx)).toEqual({ charged: 2_000 });
      expect(await movements(accountId)).toEqual(['Withdrawn 2000']);
      expect(await stream(ctx.orderId)).toEqual(['PaymentCompleted']);
      expect(await balance(accountId)).toBe(3_000);
    });

    it('is refunded exactly once by the compensation when the retries run out, and a late charge is refused', async () => {
      const accountId = await openAccount(5_000);
      const ctx = { orderId: orderOf('crash-exhausted'), correlationId: 'c', accountId, amount: 2_000 };
      const dying = paymentService(crashingBeforePaymentAppends(3));
      for (let attempt = 0; attempt < 3; attempt++)
        await expect(dying.processPayment(ctx)).rejects.toThrow('worker killed');
      expect(await movements(accountId)).toEqual(['Withdrawn 2000']);
      // The saga gives up on the step and compensates, on any worker, as often as it takes.
      expect(await paymentService().refundPayment(ctx)).toEqual({ refunded: 2_000 });
      expect(await paymentService().refundPayment(ctx)).toEqual({ refunded: 2_000 });
      expect(await stream(ctx.orderId)).toEqual(['PaymentVoided', 'PaymentRefunded']);
      expect(await movements(accountId)).toEqual(['Withdrawn 2000', 'Deposited 2000']);
      expect(await balance(accountId)).toBe(5_000);
      // A timed-out attempt that still runs finds the payment given back and moves nothing.
      await expect(paymentService().processPayment(ctx)).rejects.toMatchObject({ type: 'InsufficientFunds' });
      expect(await movements(accountId)).toEqual(['Withdrawn 2000', 'Deposited 2000']);
    });
  });

  it('gives the money back exactly once when a charge and its compensation race, whichever lands first', async () => {
    const accountId = await openAccount(1_000_000);
    const pause = () => new Promise((r) => setTimeout(r, Math.random() * 6));
    const rounds = 12;
    for (let i = 0; i < rounds; i++) {
      const ctx = { orderId: orderOf('race'), correlationId: 'c', accountId };
      await Promise.allSettled([
        pause().then(() => paymentService().processPayment({ ...ctx, amount: 100 })),
        pause().then(() => paymentService().refundPayment(ctx)),
      ]);
      // A compensation that ran first finished nothing a late debit did: the saga runs it again until it sticks.
      await paymentService().refundPayment(ctx);
      expect(['voided', 'refunded']).toContain((await stateOf(ctx.orderId)).status);
    }
    const moves = await movements(accountId);
    expect(moves.filter((m) => m.startsWith('Withdrawn')).length).toBe(
      moves.filter((m) => m.startsWith('Deposited')).length,
    );
    expect(await balance(accountId)).toBe(1_000_000);
  });

  describe('a payment recorded only in the document of the previous version (its saga began before)', () => {
    const legacy = () =>
      s.db.collection<{ _id: string; accountId: string; amount: number; status: string; updatedAt: Date }>('payments');

    it('refunds a charged payment once, and records the refund on its stream', async () => {
      const accountId = await openAccount(5_000);
      const orderId = orderOf('legacy-charged');
      await accounts.withdraw({
        accountId,
        amount: 1_500,
        reason: 'order-payment',
        reference: orderId,
        eventId: debitEventId(orderId),
      });
      await legacy().insertOne({ _id: orderId, accountId, amount: 1_500, status: 'charged', updatedAt: new Date() });
      expect(await paymentService().refundPayment({ orderId, correlationId: 'c', accountId })).toEqual({
        refunded: 1_500,
      });
      expect(await paymentService().refundPayment({ orderId, correlationId: 'c', accountId })).toEqual({
        refunded: 1_500,
      });
      expect(await stream(orderId)).toEqual(['PaymentRefunded']);
      expect(await balance(accountId)).toBe(5_000);
    });

    it('refunds the debit of a charge whose document says it was still running', async () => {
      const accountId = await openAccount(5_000);
      const orderId = orderOf('legacy-charging');
      await accounts.withdraw({
        accountId,
        amount: 800,
        reason: 'order-payment',
        reference: orderId,
        eventId: debitEventId(orderId),
      });
      await legacy().insertOne({ _id: orderId, accountId, amount: 800, status: 'charging', updatedAt: new Date() });
      expect(await paymentService().refundPayment({ orderId, correlationId: 'c', accountId })).toEqual({
        refunded: 800,
      });
      expect(await balance(accountId)).toBe(5_000);
    });

    it('gives nothing back for a payment voided or declined, and records nothing', async () => {
      const accountId = await openAccount(5_000);
      for (const status of ['voided', 'declined']) {
        const orderId = orderOf(`legacy-${status}`);
        await legacy().insertOne({ _id: orderId, accountId, amount: 0, status, updatedAt: new Date() });
        expect(await paymentService().refundPayment({ orderId, correlationId: 'c', accountId })).toEqual({
          refunded: 0,
        });
        expect(await stream(orderId)).toEqual([]);
      }
      expect(await balance(accountId)).toBe(5_000);
    });
  });
});
