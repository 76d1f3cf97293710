/** The report's section on the hot-account scenario and its goal rows. */
import { HOT_ACCOUNT_P99_GOAL, hotAccountVerdict } from './hot-account-check';
import { table, type GoalRow } from './report';
import { summarize, type LatencySummary } from './util';

export interface HotAccountRound {
  kind: 'one account' | 'one account per order';
  round: number;
  orders: number;
  completed: number;
  notCompleted: number;
  seconds: number;
  /** Completed orders per second, from the first start to the last result. */
  completedPerSecond: number;
  completedMs: LatencySummary;
  /** Every completed order's latency, so rounds can be pooled. */
  completedLatenciesMs: number[];
  /** processPayment's last attempt, started to completed, from the histories. */
  paymentMs: LatencySummary;
  /** Activity attempts beyond the first, from the histories, per order (and by activity). */
  retriesPerOrder: number;
  retriesByActivity: Record<string, number>;
  /** Activity attempts that ran out of time (ActivityTaskTimedOut and timed-out attempts retried). */
  activityTimeouts: number;
  /**
   * Event-store reads (`find events`) the worker sent from processPayment, per payment. A debit on
   * a kept fold reads nothing; a lost race reads what follows the fold. The run's other kind is
   * the base: the difference is the re-reads the contention cost.
   */
  eventReadsPerPayment: number;
  loadAverage: number;
}

export interface LongStreamRun {
  /** Events on the long account's stream before its first payment. */
  priorEvents: number;
  payments: number;
  /** processPayment (started to completed) on the long account and on a fresh one, alternating. */
  longMs: LatencySummary;
  freshMs: LatencySummary;
  /** long p50 / fresh p50. */
  p50Ratio: number;
  loadAverage: number;
}

export interface HotAccountResult {
  runs: HotAccountRound[];
  longStream?: LongStreamRun;
  /** How often POST /orders was asked again (same Idempotency-Key), by the status that made it ask. */
  placeRetries?: Record<string, number>;
}

const f = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

/** Both kinds' rounds pooled: completed orders' latencies together, throughput over their summed time. */
export function pooledHotAccount(runs: HotAccountRound[]) {
  const of = (kind: HotAccountRound['kind']) => {
    const rs = runs.filter((r) => r.kind === kind);
    const completed = rs.reduce((n, r) => n + r.completed, 0);
    const seconds = rs.reduce((n, r) => n + r.seconds, 0);
    return {
      runs: rs.length,
      completed,
      orders: rs.reduce((n, r) => n + r.orders, 0),
      activityTimeouts: rs.reduce((n, r) => n + r.activityTimeouts, 0),
      completedPerSecond: seconds > 0 ? Math.round((completed / seconds) * 100) / 100 : NaN,
      completedMs: summarize(rs.flatMap((r) => r.completedLatenciesMs)),
    };
  };
  const hot = of('one account');
  const spread = of('one account per order');
  return { hot, spread, ...hotAccountVerdict(hot.completedMs.p99, spread.completedMs.p99) };
}

export function hotAccountGoals(hotAccount: HotAccountResult | undefined): GoalRow[] {
  if (!hotAccount?.runs.length) return [];
  const p = pooledHotAccount(hotAccount.runs);
  const rows: GoalRow[] = [
    {
      scenario: 'hot account',
      metric: "completed orders' p99 ms, one account vs one account per order",
      ours: f(p.hot.completedMs.p99, 0),
      baseline: f(p.spread.completedMs.p99, 0),
      ratio: p.ratio,
      goal: `<= ${HOT_ACCOUNT_P99_GOAL}x`,
      met: p.met,
    },
    {
      scenario: 'hot account',
      metric: 'orders from one account completed, activity timeouts',
      ours: `${p.hot.completed} / ${p.hot.orders}, ${p.hot.activityTimeouts}`,
      baseline: `${p.spread.completed} / ${p.spread.orders}, ${p.spread.activityTimeouts}`,
      ratio: null,
      goal: 'all, 0 timeouts',
      met: p.hot.orders > 0 && p.hot.completed === p.hot.orders && p.hot.activityTimeouts === 0,
    },
  ];
  const l = hotAccount.longStream;
  if (l)
    rows.push({
      scenario: 'hot account',
      metric: `processPayment p50 ms, account of ${l.priorEvents} events vs a fresh one`,
      ours: f(l.longMs.p50, 1),
      baseline: f(l.freshMs.p50, 1),
      ratio: l.p50Ratio,
      goal: '(does not grow with the stream)',
      met: null,
    });
  return rows;
}

export function hotAccountSection(hotAccount: HotAccountResult | undefined): string {
  if (!hotAccount?.runs.length) return '';
  const p = pooledHotAccount(hotAccount.runs);
  const first = hotAccount.runs[0]!;
  const placeRetries = Object.entries(hotAccount.placeRetries ?? {})
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ');
  const out = ['## Hot account', ''];
  out.push(
    `${first.orders} orders started at once through \`POST /orders\`, one unit of a SKU of their own each: all paying from one account funded for all of them, and beside it each from an account of its own (runs alternate). After each run every account's audit trail is read back: every order ended COMPLETED, each account's balance is its deposits minus its debits plus its refunds, and each order was debited its total exactly once — the run fails otherwise. Retries are activity attempts beyond the first and timeouts activity attempts that ran out of time, read from the histories; event reads are the worker's \`find events\` commands from processPayment per payment (a debit on a kept fold reads nothing; a lost race reads what follows the fold).`,
    '',
  );
  out.push(
    table(
      [
        'run',
        'round',
        'completed / orders',
        'seconds',
        'completed per second',
        'completed p50 / p99 ms',
        'processPayment p50 / p99 ms',
        'event reads per payment',
        'retries per order',
        'activity timeouts',
        'load average at start',
      ],
      hotAccount.runs.map((r) => [
        r.kind,
        r.round,
        `${r.completed} / ${r.orders}`,
        f(r.seconds, 1),
        f(r.completedPerSecond, 2),
        `${f(r.completedMs.p50, 0)} / ${f(r.completedMs.p99, 0)}`,
        `${f(r.paymentMs.p50, 0)} / ${f(r.paymentMs.p99, 0)}`,
        f(r.eventReadsPerPayment, 2),
        `${f(r.retriesPerOrder, 3)}${
          Object.keys(r.retriesByActivity).length
            ? ` (${Object.entries(r.retriesByActivity)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')})`
            : ''
        }`,
        r.activityTimeouts,
        f(r.loadAverage, 1),
      ]),
    ),
    '',
  );
  out.push(
    `${placeRetries ? `POST /orders was asked again with the same Idempotency-Key (a request that fails leaves no key behind) after ${placeRetries}; latencies include the wait. ` : ''}Pooled: one account ${p.hot.completed} completed at ${f(p.hot.completedPerSecond, 2)}/s, p50 / p99 ${f(p.hot.completedMs.p50, 0)} / ${f(p.hot.completedMs.p99, 0)} ms; one account per order ${p.spread.completed} completed at ${f(p.spread.completedPerSecond, 2)}/s, p50 / p99 ${f(p.spread.completedMs.p50, 0)} / ${f(p.spread.completedMs.p99, 0)} ms; p99 ratio ${f(p.ratio, 2)} (goal ≤ ${HOT_ACCOUNT_P99_GOAL}).`,
    '',
  );
  const l = hotAccount.longStream;
  if (l)
    out.push(
      `Long stream: ${l.payments} orders paid one at a time from an account whose stream held ${l.priorEvents} events, alternating with ${l.payments} from a fresh account: processPayment p50 / p99 ${f(l.longMs.p50, 1)} / ${f(l.longMs.p99, 1)} ms against ${f(l.freshMs.p50, 1)} / ${f(l.freshMs.p99, 1)} ms (p50 ratio ${f(l.p50Ratio, 2)}; load ${f(l.loadAverage, 1)}).`,
      '',
    );
  return out.join('\n');
}
