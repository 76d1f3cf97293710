import { describe, expect, it } from 'vitest';
import {
  accountProblems,
  hotAccountVerdict,
  type AccountAfter,
  type PaidOrder,
} from '../../../bench/lib/hot-account-check';
import { hotAccountGoals, hotAccountSection } from '../../../bench/lib/render-hot-account';
import { summarize } from '../../../bench/lib/util';

const order = (i: number, status = 'COMPLETED', accountId = 'A', failureReason: string | null = null): PaidOrder => ({
  orderId: `o${i}`,
  accountId,
  total: 100,
  status,
  failureReason,
});
const opened = (initial: number) => ({ type: 'AccountOpened', data: { owner: 'x', initial } });
const debit = (i: number, amount = 100) => ({
  type: 'Withdrawn',
  data: { amount, reason: 'order-payment', reference: `o${i}` },
});
const refund = (i: number, amount = 100) => ({
  type: 'Deposited',
  data: { amount, reason: 'refund', reference: `o${i}` },
});

/** Two orders paid from one account opened with 1,000. */
const sound: AccountAfter = { accountId: 'A', balance: 800, events: [opened(1_000), debit(1), debit(2)] };

describe('hot-account check', () => {
  it('passes a run where every order completed and the balance adds up', () => {
    expect(accountProblems([order(1), order(2)], [sound])).toEqual([]);
  });

  it('fails an order that did not complete, even when its money came back', () => {
    const account = { ...sound, balance: 900, events: [...sound.events, refund(2)] };
    const problems = accountProblems([order(1), order(2, 'CANCELLED', 'A', 'payment timed out')], [account]);
    expect(problems).toEqual(['order o2 ended CANCELLED (payment timed out)']);
  });

  it('fails money lost or made: the balance is not deposits - debits + refunds', () => {
    const problems = accountProblems([order(1), order(2)], [{ ...sound, balance: 900 }]);
    expect(problems).toEqual(['account A: balance 900, deposits 1000 - debits 200 + refunds 0 = 800']);
  });

  it('fails an order debited twice, debited the wrong amount, or refunded although completed', () => {
    const account: AccountAfter = {
      accountId: 'A',
      balance: 760,
      events: [opened(1_000), debit(1), debit(1), debit(2, 40), debit(3), refund(3)],
    };
    const problems = accountProblems([order(1), order(2), order(3)], [account]);
    expect(problems).toEqual([
      'order o1: debited [100, 100], its total is 100',
      'order o2: debited [40], its total is 100',
      'order o3 completed, yet 100 was refunded',
    ]);
  });

  it('fails an order whose account was not read back', () => {
    expect(accountProblems([order(1, 'COMPLETED', 'B')], [sound])).toEqual(['order o1: no account read for B']);
  });

  it('meets the goal at three times the spread p99 and no more', () => {
    expect(hotAccountVerdict(3_000, 1_000)).toEqual({ ratio: 3, met: true });
    expect(hotAccountVerdict(3_001, 1_000)).toEqual({ ratio: 3.001, met: false });
    expect(hotAccountVerdict(NaN, 1_000).met).toBeNull();
  });

  it('reports a timed-out or unfinished hot run as a missed goal', () => {
    const run = (kind: 'one account' | 'one account per order', latencies: number[], timeouts: number) => ({
      kind,
      round: 1,
      orders: 2,
      completed: latencies.length,
      notCompleted: 2 - latencies.length,
      seconds: 1,
      completedPerSecond: latencies.length,
      completedMs: summarize(latencies),
      completedLatenciesMs: latencies,
      paymentMs: summarize([10, 20]),
      retriesPerOrder: 0,
      retriesByActivity: {},
      activityTimeouts: timeouts,
      eventReadsPerPayment: 1,
      loadAverage: 1,
    });
    const result = { runs: [run('one account per order', [100, 200], 0), run('one account', [300, 400], 1)] };
    const [p99, completion] = hotAccountGoals(result);
    expect(p99).toMatchObject({ ratio: 2, met: true });
    expect(completion).toMatchObject({ ours: '2 / 2, 1', met: false });
    expect(hotAccountSection(result)).toContain('p99 ratio 2.00 (goal ≤ 3)');
  });
});
