/** The report's sections on the hot-SKU scenario and the scale figures, and their goal rows. */
import { HOT_SKU_P99_GOAL, hotSkuVerdict } from './hot-sku-check';
import { table, type GoalRow } from './report';
import type { ScaleRow } from './scale';
import { summarize, type LatencySummary } from './util';

export interface HotSkuRound {
  kind: 'one SKU' | 'one SKU per order';
  round: number;
  orders: number;
  stocked: number;
  completed: number;
  cancelled: number;
  seconds: number;
  /** Completed orders per second, from the first start to the last result. */
  completedPerSecond: number;
  completedMs: LatencySummary;
  /** Every completed order's latency, so rounds can be pooled. */
  completedLatenciesMs: number[];
  cancelledMs: LatencySummary;
  /** Activity attempts beyond the first, from the histories, per order (and by activity). */
  retriesPerOrder: number;
  retriesByActivity: Record<string, number>;
  loadAverage: number;
}

const f = (x: unknown, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

/** Both kinds' rounds pooled: completed orders' latencies together, throughput over their summed time. */
export function pooledHotSku(runs: HotSkuRound[]) {
  const of = (kind: HotSkuRound['kind']) => {
    const rs = runs.filter((r) => r.kind === kind);
    const completed = rs.reduce((n, r) => n + r.completed, 0);
    const seconds = rs.reduce((n, r) => n + r.seconds, 0);
    return {
      runs: rs.length,
      completed,
      cancelled: rs.reduce((n, r) => n + r.cancelled, 0),
      completedPerSecond: seconds > 0 ? Math.round((completed / seconds) * 100) / 100 : NaN,
      completedMs: summarize(rs.flatMap((r) => r.completedLatenciesMs)),
      retriesPerOrder: rs.length
        ? Math.round(
            (rs.reduce((n, r) => n + r.retriesPerOrder * r.orders, 0) / rs.reduce((n, r) => n + r.orders, 0)) * 1000,
          ) / 1000
        : NaN,
    };
  };
  const hot = of('one SKU');
  const spread = of('one SKU per order');
  return { hot, spread, ...hotSkuVerdict(hot.completedMs.p99, spread.completedMs.p99) };
}

export function hotSkuGoals(hotSku: { runs: HotSkuRound[] } | undefined): GoalRow[] {
  if (!hotSku?.runs.length) return [];
  const p = pooledHotSku(hotSku.runs);
  return [
    {
      scenario: 'hot SKU',
      metric: "completed orders' p99 ms, one SKU vs one SKU per order",
      ours: f(p.hot.completedMs.p99, 0),
      baseline: f(p.spread.completedMs.p99, 0),
      ratio: p.ratio,
      goal: `<= ${HOT_SKU_P99_GOAL}x`,
      met: p.met,
    },
  ];
}

export function hotSkuSection(hotSku: { runs: HotSkuRound[] } | undefined): string {
  if (!hotSku?.runs.length) return '';
  const p = pooledHotSku(hotSku.runs);
  const first = hotSku.runs[0]!;
  const out = ['## Hot SKU', ''];
  out.push(
    `${first.orders} orders started at once through \`POST /orders\`, one unit each: on one SKU stocked for half of them, and beside it on one SKU per order, each stocked for its order (runs alternate). After each run the stock is read back: every order ended COMPLETED or CANCELLED for lack of stock, and per SKU available + reserved is what was stocked and reserved is what the completed orders hold — the run fails otherwise. Retries are activity attempts beyond the first, read from the histories.`,
    '',
  );
  out.push(
    table(
      [
        'run',
        'round',
        'stocked per SKU',
        'completed / cancelled',
        'seconds',
        'completed per second',
        'completed p50 / p99 ms',
        'cancelled p50 / p99 ms',
        'retries per order',
        'retries by activity',
        'load average at start',
      ],
      hotSku.runs.map((r) => [
        r.kind,
        r.round,
        r.stocked,
        `${r.completed} / ${r.cancelled}`,
        f(r.seconds, 1),
        f(r.completedPerSecond, 2),
        `${f(r.completedMs.p50, 0)} / ${f(r.completedMs.p99, 0)}`,
        `${f(r.cancelledMs.p50, 0)} / ${f(r.cancelledMs.p99, 0)}`,
        f(r.retriesPerOrder, 3),
        Object.entries(r.retriesByActivity)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none',
        f(r.loadAverage, 1),
      ]),
    ),
    '',
  );
  out.push(
    `Pooled: one SKU ${p.hot.completed} completed at ${f(p.hot.completedPerSecond, 2)}/s, p50 / p99 ${f(p.hot.completedMs.p50, 0)} / ${f(p.hot.completedMs.p99, 0)} ms; one SKU per order ${p.spread.completed} completed at ${f(p.spread.completedPerSecond, 2)}/s, p50 / p99 ${f(p.spread.completedMs.p50, 0)} / ${f(p.spread.completedMs.p99, 0)} ms; p99 ratio ${f(p.ratio, 2)} (goal ≤ ${HOT_SKU_P99_GOAL}).`,
    '',
  );
  return out.join('\n');
}

export function scaleSection(scale: { rows: ScaleRow[] } | undefined): string {
  if (!scale?.rows.length) return '';
  const out = ['## Scale', ''];
  out.push(
    `Our saga alone at C=${scale.rows[0]!.concurrency}, with 1, 2 and 3 order worker processes (one read side), and with 1 and 2 read-side processes (one worker); the one-process run is the same run for both. Each configuration gets fresh processes and, when the MongoDB server is ours, a fresh server. Ratios are to the one-process run. Extra processes share the machine's cores: the figures show where the cost goes, not a speed-up.`,
    '',
  );
  out.push(
    table(
      [
        'processes',
        'sagas/s',
        'ratio',
        'p50 / p99 ms',
        'readable p50 / p99 ms',
        'readable p99 ratio',
        'readable per second',
        'ratio',
        'CPU ms per saga by kind',
        'CPU ms per saga, all',
        'load average at start',
      ],
      scale.rows.map((r) => [
        `${r.processes} ${r.what === 'workers' ? (r.processes === 1 ? 'worker' : 'workers') : r.processes === 1 ? 'read side' : 'read sides'}`,
        f(r.perSecond, 2),
        f(r.throughputRatio, 2),
        `${f(r.p50, 0)} / ${f(r.p99, 0)}`,
        `${f(r.readableP50, 0)} / ${f(r.readableP99, 0)}`,
        f(r.readableP99Ratio, 2),
        f(r.readablePerSecond, 2),
        f(r.readablePerSecondRatio, 2),
        Object.entries(r.cpuMsPerSaga)
          .map(([k, v]) => `${k} ${f(v, 0)}`)
          .join(', '),
        f(r.cpuMsTotal, 0),
        f(r.loadAverage, 1),
      ]),
    ),
    '',
  );
  return out.join('\n');
}
