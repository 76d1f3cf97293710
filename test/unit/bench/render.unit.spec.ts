import { dynamicConfigOf } from '../../../bench/lib/machine';
import { describe, expect, it } from 'vitest';
import { goals, renderMarkdown } from '../../../bench/lib/render';

/** CPU of one measured interval, as bench/lib/cpu.ts reports it. */
const cpu = (bench: number, mongo: number, temporal: number) => ({
  seconds: 12,
  processes: [
    {
      name: 'bench process (worker + API + consumers + load)',
      pid: 101,
      cpuSeconds: bench * 12,
      avgCores: bench,
      threads: [{ name: 'node (main thread)', cpuSeconds: bench * 9 }],
    },
    { name: 'MongoDB server', pid: 102, cpuSeconds: mongo * 12, avgCores: mongo },
    { name: 'Temporal dev server', pid: 103, cpuSeconds: temporal * 12, avgCores: temporal },
  ],
  machineBusyCores: bench + mongo + temporal,
});

const latency = (p50: number, p10 = p50 * 0.9) => ({
  count: 30,
  mean: p50 * 1.1,
  p10,
  p50,
  p95: p50 * 1.4,
  p99: p50 * 1.9,
  max: p50 * 2.2,
});

/** A report with the saga scenario only (where the limits and fixes text is), every figure from the given numbers. */
function report(n: {
  cores: number;
  oursP50: number;
  baseP50: number;
  baseP10: number;
  taskWait: number;
  taskWork: number;
  idleMongoWith: number;
  idleMongoWithout: number;
  tasks: number;
  startedAt: string;
}) {
  const level = (concurrency: number, scale: number) => ({
    concurrency,
    ours: {
      perSecond: 7.13 * scale,
      latencyMs: latency(n.oursP50 * scale),
      failed: 0,
      readModelMs: latency(n.oursP50 * scale * 0.97),
      cpu: cpu(0.71 * scale, 0.33 * scale, 0.29 * scale),
    },
    baseline: {
      perSecond: 17.3 * scale,
      latencyMs: latency(n.baseP50 * scale, n.baseP10 * scale),
      failed: 0,
      cpu: cpu(0.43 * scale, 0.07 * scale, 0.37 * scale),
    },
    throughputRatio: 7.13 / 17.3,
    p50Ratio: n.oursP50 / n.baseP50,
    rounds: [],
  });
  const results = {
    saga: {
      levels: [level(1, 1), level(4, 1.63)],
      payloadEncryption: false,
      steps: [
        { side: 'baseline', step: 'workflow task', waitMs: n.taskWait, workMs: n.taskWork, count: n.tasks },
        { side: 'ours', step: 'workflow task', waitMs: n.taskWait * 1.17, workMs: n.taskWork * 1.73, count: n.tasks },
      ],
      idle: { withConsumers: cpu(0.03, n.idleMongoWith, 0.04), withoutConsumers: cpu(0.01, n.idleMongoWithout, 0.04) },
    },
  };
  const machine = {
    cores: n.cores,
    cpuModel: 'Test CPU',
    memoryGiB: 7.7,
    os: 'Linux',
    node: 'v20.19.0',
    temporal: { serverVersion: '1.29.1', cli: 'temporal version 1.5.1', source: 'embedded' },
    mongodb: { source: 'stand-in', version: '3.6.0' },
    loadAverageAtStart: [1.23, 1.01, 0.87],
    loadAverageAtEnd: [2.31, 1.52, 1.03],
  };
  const base = {
    mode: 'quick',
    startedAt: n.startedAt,
    durationSeconds: 97,
    machine,
    mongoPerScenario: 'one server for all scenarios',
    results,
    failures: {},
  };
  return { ...base, goals: goals(base) };
}

const first = report({
  cores: 2,
  oursP50: 137.4,
  baseP50: 52.6,
  baseP10: 47.3,
  taskWait: 1.44,
  taskWork: 5.54,
  idleMongoWith: 0.02,
  idleMongoWithout: 0.01,
  tasks: 60,
  startedAt: '2026-11-28T10:00:00.000Z',
});
const second = report({
  cores: 8,
  oursP50: 311.8,
  baseP50: 289.3,
  baseP10: 201.4,
  taskWait: 38.7,
  taskWork: 6.21,
  idleMongoWith: 0.97,
  idleMongoWithout: 0.12,
  tasks: 42,
  startedAt: '2026-12-03T17:30:00.000Z',
});

/** The limits and fixes text: what was written by hand, as opposed to the tables. */
const prose = (markdown: string) => markdown.slice(markdown.indexOf('**What limits saga throughput'));

describe('bench report', () => {
  it('states no figure from an earlier run: the task dispatch and change stream figures of the past are gone', () => {
    for (const text of [renderMarkdown(first), renderMarkdown(second)]) {
      for (const stale of [
        '36–41 ms',
        '235 of',
        '296 ms',
        'about 65 ms',
        '1.2×',
        'about 1 core',
        'about 0.1',
        'about 7 event appends',
        '6 state-document writes',
        '2,000',
        'Two cores',
      ]) {
        expect(text).not.toContain(stale);
      }
    }
  });

  it("states this run's task dispatch wait, p50 / p10 and idle MongoDB cores, which differ between two runs", () => {
    const a = prose(renderMarkdown(first));
    const b = prose(renderMarkdown(second));
    expect(a).toContain("the no-op workflow's workflow tasks waited 1.4 ms (p50 of 60)");
    expect(a).toContain('its p50 was 53 ms, 1.11× its own p10 of 47 ms');
    expect(a).toContain('the idle MongoDB server used 0.02 cores with the consumers running and 0.01 without them');
    expect(a).toContain('2 cores are shared');
    expect(b).toContain("the no-op workflow's workflow tasks waited 38.7 ms (p50 of 42)");
    expect(b).toContain('its p50 was 289 ms, 1.44× its own p10 of 201 ms');
    expect(b).toContain('the idle MongoDB server used 0.97 cores with the consumers running and 0.12 without them');
    expect(b).toContain('8 cores are shared');
  });

  it('has no figure in its written text that two runs with different data share, beyond the design constants it names', () => {
    // Every measured number differs between the two runs, so a figure both texts print was typed in.
    const figures = (text: string) => new Set(text.match(/(?<![\w.])\d[\d,]*(?:\.\d+)?/g) ?? []);
    const inB = figures(prose(renderMarkdown(second)));
    const shared = [...figures(prose(renderMarkdown(first)))].filter((x) => inB.has(x)).sort();
    // List items' numbers, the dispatch cap's default (20) and the pause between empty polls (5 ms).
    expect(shared).toEqual(['1', '2', '20', '3', '4', '5']);
  });
  it("links the chart written beside it, a partial run's included", () => {
    expect(renderMarkdown({ ...first, chart: '2026-12-04-partial.svg' })).toContain(
      '![ratios](2026-12-04-partial.svg)',
    );
  });
});

describe('bench report: the Temporal dev server settings', () => {
  it('reads them from the dev server command line and prints them only when it found the process', () => {
    const cmd = [
      '/x/temporal',
      'server',
      'start-dev',
      '--dynamic-config-value',
      'matching.enableFairness=true',
      '--port',
      '7233',
      '--dynamic-config-value',
      'history.hostLevelCacheMaxSize=512',
    ];
    const settings = dynamicConfigOf(cmd);
    expect(settings).toEqual(['matching.enableFairness=true', 'history.hostLevelCacheMaxSize=512']);
    const withSettings = {
      ...first,
      machine: { ...first.machine, temporal: { ...first.machine.temporal, dynamicConfig: settings } },
    };
    expect(renderMarkdown(withSettings)).toContain(
      '| Temporal dev server settings (--dynamic-config-value) | matching.enableFairness=true, history.hostLevelCacheMaxSize=512 |',
    );
    expect(renderMarkdown(first)).not.toContain('Temporal dev server settings');
  });
});

describe('bench report: what one MongoDB command costs in CPU', () => {
  it('prints each probe command with this client’s and the server’s figure, and a dash for a server it could not see', () => {
    const commandCpuUs = { ping: { client: 134, server: 30 }, insert: { client: 181, server: null } };
    const measured = { ...first, machine: { ...first.machine, mongodb: { ...first.machine.mongodb, commandCpuUs } } };
    expect(renderMarkdown(measured)).toContain(
      '| MongoDB command CPU, idle, one at a time (µs per command: this client / the server, its JIT apart) | ping 134 / 30 · insert 181 / – |',
    );
    expect(renderMarkdown(first)).not.toContain('MongoDB command CPU');
  });
});

describe('bench report: replay', () => {
  const row = (workflow: string, perSecond: number, cpuMsPerHistory: number) => ({
    workflow,
    histories: 3,
    eventsPerHistory: 36,
    replays: 300,
    setupSeconds: 2.1,
    seconds: 5,
    perSecond,
    cpuMsPerHistory,
    failures: 0,
  });
  const replay = {
    rows: [
      row('orderSaga (recorded in scenario 1)', 60, 15.9),
      row('noopSaga baseline', 120, 7.95),
      row('minimalSaga (the minimal durable saga)', 110, 9.4),
    ],
    sagaVsBaseline: 0.5,
    cpuVsMinimal: 1.69,
  };
  const withReplay = (r: unknown) => {
    const base = { ...first, results: { ...first.results, replay: r } };
    return { ...base, goals: goals(base) };
  };

  it('puts the rate ratio on the saga’s row and compares CPU per history with the minimal saga’s', () => {
    const measured = withReplay(replay);
    const rows = measured.goals.filter((g: { scenario: string }) => g.scenario === '5 replay');
    expect(rows.map((g: { ratio: number | null }) => g.ratio)).toEqual([0.5, null, null, 1.69]);
    expect(rows[3]).toMatchObject({ ours: '15.90', baseline: '9.40' });
    expect(renderMarkdown(measured)).toContain(
      '| minimalSaga (the minimal durable saga) | 3 | 36 | 300 | 2.1 | 110.0 | 9.40 | 0 |',
    );
  });

  it('leaves the CPU comparison out when the minimal saga was not replayed', () => {
    const measured = withReplay({ ...replay, rows: replay.rows.slice(0, 2), cpuVsMinimal: null });
    const rows = measured.goals.filter((g: { scenario: string }) => g.scenario === '5 replay');
    expect(rows).toHaveLength(2);
    expect(rows[0]?.ratio).toBe(0.5);
  });
});
