import { describe, expect, it } from 'vitest';
import type { CpuReport } from '../../../bench/lib/cpu';
import { cpuPerSaga, type CpuTarget } from '../../../bench/lib/work';

const targets: CpuTarget[] = [
  { name: 'api', pid: 1, side: 'ours', kind: 'API' },
  { name: 'worker 1', pid: 2, side: 'ours', kind: 'worker' },
  { name: 'worker 2', pid: 3, side: 'ours', kind: 'worker' },
  { name: 'readside', pid: 4, side: 'ours', kind: 'read side' },
  { name: 'minimal-worker', pid: 5, side: 'minimal', kind: 'worker' },
  { name: 'minimal-watcher', pid: 6, side: 'minimal', kind: 'read side' },
  { name: 'MongoDB server', pid: 7, side: 'shared', kind: 'MongoDB' },
  { name: 'Temporal dev server', pid: 8, side: 'shared', kind: 'Temporal' },
  { name: 'load generator (bench process)', pid: 9, side: 'load', kind: 'load generator' },
];

const window = (seconds: Record<string, number>): CpuReport => ({
  seconds: 10,
  processes: Object.entries(seconds).map(([name, cpuSeconds]) => ({
    name,
    pid: targets.find((t) => t.name === name)!.pid!,
    cpuSeconds,
    avgCores: cpuSeconds / 10,
  })),
  machineBusyCores: null,
});

describe('CPU per saga', () => {
  it("sums a side's processes over its rounds by kind, charges it the shared servers, and keeps the load generator apart", () => {
    const rounds = [
      window({
        api: 0.2,
        'worker 1': 0.5,
        'worker 2': 0.3,
        readside: 0.4,
        'minimal-worker': 0.05,
        'MongoDB server': 0.6,
        'Temporal dev server': 0.5,
        'load generator (bench process)': 0.2,
      }),
      window({
        api: 0.2,
        'worker 1': 0.5,
        'worker 2': 0.3,
        readside: 0.4,
        'minimal-watcher': 0.01,
        'MongoDB server': 0.4,
        'Temporal dev server': 0.5,
        'load generator (bench process)': 0.2,
      }),
    ];
    const ours = cpuPerSaga(rounds, targets, 'ours', 20);
    expect(ours.byKind).toEqual({ API: 20, worker: 80, 'read side': 40, MongoDB: 50, Temporal: 50 });
    expect(ours.total).toBe(240);
    expect(ours.loadGenerator).toBe(20);
  });

  it("does not charge a side for another side's processes", () => {
    const minimal = cpuPerSaga(
      [window({ api: 5, 'minimal-worker': 0.3, 'minimal-watcher': 0.1, 'MongoDB server': 0.2 })],
      targets,
      'minimal',
      10,
    );
    expect(minimal.byKind).toEqual({ worker: 30, 'read side': 10, MongoDB: 20 });
    expect(minimal.total).toBe(60);
  });

  it("holds apart what the MongoDB server's JIT compiler threads used: neither in its figure nor in the total", () => {
    const w = window({ 'MongoDB server': 0.5, api: 0.1 });
    w.processes[0]!.threads = [
      { name: 'C2 CompilerThre', cpuSeconds: 0.12 },
      { name: 'C1 CompilerThre', cpuSeconds: 0.03 },
      { name: 'nioEventLoopGro', cpuSeconds: 0.3 },
    ];
    const ours = cpuPerSaga([w, w], targets, 'ours', 10);
    expect(ours.byKind.MongoDB).toBe(70);
    expect(ours.mongoJit).toBe(30);
    expect(ours.total).toBe(90);
    expect(cpuPerSaga([window({ 'MongoDB server': 0.5 })], targets, 'ours', 10).mongoJit).toBe(0);
  });

  it('has no figure without sagas', () => {
    expect(cpuPerSaga([window({ api: 1 })], targets, 'ours', 0).byKind.API).toBeNaN();
  });
});
