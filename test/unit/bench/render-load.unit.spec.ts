import { describe, expect, it } from 'vitest';
import { hotSkuGoals, hotSkuSection, pooledHotSku, scaleSection } from '../../../bench/lib/render-load';
import { scaleRows, type ScaleRun } from '../../../bench/lib/scale';
import { summarize } from '../../../bench/lib/util';

const run = (
  kind: 'one SKU' | 'one SKU per order',
  round: number,
  latencies: number[],
  seconds: number,
  retriesPerOrder: number,
) => ({
  kind,
  round,
  orders: 4,
  stocked: kind === 'one SKU' ? 2 : 1,
  completed: latencies.length,
  cancelled: 4 - latencies.length,
  seconds,
  completedPerSecond: latencies.length / seconds,
  completedMs: summarize(latencies),
  completedLatenciesMs: latencies,
  cancelledMs: summarize([]),
  retriesPerOrder,
  retriesByActivity: (retriesPerOrder ? { reserveItems: retriesPerOrder * 4 } : {}) as Record<string, number>,
  loadAverage: 3.2,
});

const runs = [
  run('one SKU per order', 1, [100, 200, 300, 400], 2, 0),
  run('one SKU', 1, [500, 900], 2, 0.5),
  run('one SKU per order', 2, [150, 250, 350, 450], 2, 0),
  run('one SKU', 2, [600, 1300], 3, 0.25),
];

describe('hot-SKU report', () => {
  it('pools the rounds of each kind: latencies together, completed orders over their summed time, retries per order', () => {
    const p = pooledHotSku(runs);
    expect(p.hot.completed).toBe(4);
    expect(p.hot.completedPerSecond).toBe(0.8);
    expect(p.hot.completedMs.p99).toBe(1300);
    expect(p.spread.completedMs.p99).toBe(450);
    expect(p.hot.retriesPerOrder).toBe(0.375);
    expect(p.ratio).toBe(2.889);
    expect(p.met).toBe(true);
  });

  it("judges the goal on the pooled p99s, and prints each round's figures and load", () => {
    expect(hotSkuGoals({ runs })[0]).toMatchObject({ ours: '1300', baseline: '450', met: true });
    expect(hotSkuGoals({ runs: [...runs, run('one SKU', 3, [1400, 1500], 2, 0)] })[0]!.met).toBe(false);
    const text = hotSkuSection({ runs });
    expect(text).toContain('| one SKU | 2 | 2 | 2 / 2 | 3.0 | 0.67 | 600 / 1300 |');
    expect(text).toContain('reserveItems 1');
    expect(text).toContain('p99 ratio 2.89');
    expect(hotSkuGoals(undefined)).toEqual([]);
  });
});

describe('scale figures', () => {
  const base = {
    concurrency: 16,
    orders: 96,
    p50: 900,
    p99: 2000,
    readableP50: 950,
    cpuMsPerSaga: { worker: 80 },
    cpuMsTotal: 300,
    loadAverage: 2.5,
  };
  const figures: ScaleRun[] = [
    { ...base, what: 'workers', processes: 1, perSecond: 4, readableP99: 2100, readablePerSecond: 3.9 },
    { ...base, what: 'workers', processes: 2, perSecond: 4.4, readableP99: 2200, readablePerSecond: 4.2 },
    { ...base, what: 'read sides', processes: 1, perSecond: 4, readableP99: 2100, readablePerSecond: 3.9 },
    { ...base, what: 'read sides', processes: 2, perSecond: 3.6, readableP99: 3150, readablePerSecond: 3.51 },
  ];

  it('gives each run as ratios to the one-process run of its kind', () => {
    const rows = scaleRows(figures);
    expect(rows.map((r) => r.throughputRatio)).toEqual([1, 1.1, 1, 0.9]);
    expect(rows[3]!.readableP99Ratio).toBe(1.5);
    expect(rows[3]!.readablePerSecondRatio).toBe(0.9);
    expect(scaleRows(figures.slice(1, 2))[0]!.throughputRatio).toBeNaN();
  });

  it('prints every configuration with its load average', () => {
    const text = scaleSection({ rows: scaleRows(figures) });
    expect(text).toContain('| 2 workers | 4.40 | 1.10 |');
    expect(text).toContain('| 2 read sides | 3.60 | 0.90 | 900 / 2000 | 950 / 3150 | 1.50 | 3.51 | 0.90 |');
    expect(text).toContain('| 2.5 |');
    expect(scaleSection(undefined)).toBe('');
  });
});
