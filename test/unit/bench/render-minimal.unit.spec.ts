import { describe, expect, it } from 'vitest';
import { minimalGoals, minimalSection, type LevelAgainstMinimal } from '../../../bench/lib/render-minimal';

const sideWork = (total: number, worker: number) => ({
  sagas: 30,
  cpu: { byKind: { worker, MongoDB: total - worker }, total, loadGenerator: 7.5 },
  commands: {
    sagas: 30,
    tallies: {
      worker: {
        minimalCreateOrder: {
          eventStore: { reads: 0, writes: 0, other: 0 },
          own: { reads: 0, writes: 30, other: 0 },
          commands: { 'insert minimal_events': 30 },
        },
      },
    },
  },
  bytesPerSaga: { events: 411, 'read models': 217, other: 0 },
});

function level(
  concurrency: number,
  n: {
    oursPerSecond: number;
    minimalPerSecond: number;
    oursP50: number;
    minimalP50: number;
    oursCpu: number;
    minimalCpu: number;
  },
): LevelAgainstMinimal {
  return {
    concurrency,
    ours: { perSecond: n.oursPerSecond, latencyMs: { p50: n.oursP50, p99: n.oursP50 * 2 } },
    baseline: { perSecond: n.minimalPerSecond * 1.3, latencyMs: { p50: n.minimalP50 * 0.6, p99: n.minimalP50 } },
    minimal: { perSecond: n.minimalPerSecond, latencyMs: { p50: n.minimalP50, p99: n.minimalP50 * 1.7 } },
    throughputRatio: n.oursPerSecond / (n.minimalPerSecond * 1.3),
    p50Ratio: n.oursP50 / (n.minimalP50 * 0.6),
    minimalRatios: {
      throughput: n.oursPerSecond / n.minimalPerSecond,
      p50: n.oursP50 / n.minimalP50,
      p99: (n.oursP50 * 2) / (n.minimalP50 * 1.7),
    },
    work: {
      ours: sideWork(n.oursCpu, n.oursCpu / 3),
      minimal: sideWork(n.minimalCpu, n.minimalCpu / 2),
      noop: { ...sideWork(40, 20), commands: { sagas: 30, tallies: {} } },
    },
  };
}

describe('against the minimal durable saga', () => {
  it('judges p50 at C=1 (<= 1.5x), throughput at C=16 and C=64 (>= 0.7) and CPU per saga at every level (<= 1.5x)', () => {
    const rows = minimalGoals([
      level(1, { oursPerSecond: 5, minimalPerSecond: 9, oursP50: 150, minimalP50: 100, oursCpu: 150, minimalCpu: 100 }),
      level(4, { oursPerSecond: 1, minimalPerSecond: 9, oursP50: 900, minimalP50: 100, oursCpu: 151, minimalCpu: 100 }),
      level(16, {
        oursPerSecond: 7,
        minimalPerSecond: 10,
        oursP50: 900,
        minimalP50: 100,
        oursCpu: 100,
        minimalCpu: 100,
      }),
      level(64, {
        oursPerSecond: 6.99,
        minimalPerSecond: 10,
        oursP50: 900,
        minimalP50: 100,
        oursCpu: 100,
        minimalCpu: 100,
      }),
    ]);
    const verdicts = Object.fromEntries(rows.map((r) => [r.metric, r.met]));
    expect(verdicts).toEqual({
      'latency p50 ms at C=1': true,
      "CPU ms per saga, all processes (the MongoDB stand-in's JIT apart), at C=1": true,
      // C=4 has no throughput goal, however far behind.
      "CPU ms per saga, all processes (the MongoDB stand-in's JIT apart), at C=4": false,
      'completed sagas/s at C=16': true,
      "CPU ms per saga, all processes (the MongoDB stand-in's JIT apart), at C=16": true,
      'completed sagas/s at C=64': false,
      "CPU ms per saga, all processes (the MongoDB stand-in's JIT apart), at C=64": true,
    });
  });

  it('fails the p50 goal just above 1.5x, and has no verdict without a number', () => {
    const [p50] = minimalGoals([
      level(1, { oursPerSecond: 5, minimalPerSecond: 9, oursP50: 151, minimalP50: 100, oursCpu: 1, minimalCpu: 1 }),
    ]);
    expect(p50!.met).toBe(false);
    const [none] = minimalGoals([
      level(1, { oursPerSecond: 5, minimalPerSecond: 9, oursP50: NaN, minimalP50: 100, oursCpu: 1, minimalCpu: 1 }),
    ]);
    expect(none!.met).toBeNull();
  });

  it('has no goal rows and no section for a run without the minimal saga', () => {
    const {
      minimal: _minimal,
      minimalRatios: _ratios,
      ...noMinimal
    } = level(1, {
      oursPerSecond: 5,
      minimalPerSecond: 9,
      oursP50: 150,
      minimalP50: 100,
      oursCpu: 150,
      minimalCpu: 100,
    });
    expect(minimalGoals([noMinimal])).toEqual([]);
    expect(minimalSection([noMinimal])).toBe('');
  });

  it("prints this run's figures: throughput and p50 of all three sides with both ratios, CPU by kind, commands and bytes", () => {
    const text = minimalSection([
      level(1, {
        oursPerSecond: 4.37,
        minimalPerSecond: 8.11,
        oursP50: 213,
        minimalP50: 117,
        oursCpu: 287.4,
        minimalCpu: 121.6,
      }),
    ]);
    expect(text).toContain('### Against a minimal durable saga');
    expect(text).toContain('4.37 / 8.11 / 10.54');
    expect(text).toContain('213 / 117 / 70');
    expect(text).toContain('| 0.54 |');
    expect(text).toContain('**287.4**');
    expect(text).toContain('**121.6**');
    expect(text).toContain('**2.36**');
    expect(text).toContain('411 / 217 / 0');
    expect(text).toContain('minimalCreateOrder');
    expect(text).toContain('(none: no MongoDB client)');
  });
});

describe('readability of both sides', () => {
  it('shows when ours and the minimal saga’s orders became readable, each watched the same way', () => {
    const l = level(16, {
      oursPerSecond: 7,
      minimalPerSecond: 10,
      oursP50: 800,
      minimalP50: 500,
      oursCpu: 100,
      minimalCpu: 70,
    });
    const section = minimalSection([
      {
        ...l,
        ours: { ...l.ours, readModelMs: { p50: 812, p99: 1_230 } },
        minimal: { ...l.minimal!, readModelMs: { p50: 541, p99: 777 } },
      },
    ]);
    expect(section).toContain('readable p50 / p99 ms ours · minimal');
    expect(section).toContain('812 / 1230 · 541 / 777');
    expect(section).toContain('one batched read of the read-model collection every 10 ms');
  });
});

describe('what the work per saga leaves out or holds apart', () => {
  const l = level(1, {
    oursPerSecond: 5,
    minimalPerSecond: 9,
    oursP50: 150,
    minimalP50: 100,
    oursCpu: 120,
    minimalCpu: 80,
  });

  it("lists the API checks' cost per GET and the stand-in's JIT share per side", () => {
    const text = minimalSection([
      {
        ...l,
        apiCheck: {
          gets: 30,
          cpuPerGet: { byKind: { API: 2.04, MongoDB: 0.31 }, total: 2.35, loadGenerator: 1 },
          commandsPerGet: { api: 2.1 },
        },
        work: {
          ours: { ...l.work!.ours!, cpu: { ...l.work!.ours!.cpu, mongoJit: 9.96 } },
          minimal: { ...l.work!.minimal!, cpu: { ...l.work!.minimal!.cpu, mongoJit: 1.7 } },
          noop: l.work!.noop!,
        },
      },
    ]);
    expect(text).toContain('C=1 (30 GETs) API 2.0 ms and MongoDB 0.3 ms of CPU, 2.10 API commands');
    expect(text).toContain('C=1 10.0 / 1.7 / –');
  });

  it('says nothing of either when the run measured neither', () => {
    const text = minimalSection([l]);
    expect(text).not.toContain('Not in the figures above');
    expect(text).not.toContain('Held apart, in neither');
  });
});
