/**
 * Work per saga, from what a scenario measured: CPU milliseconds by process kind, MongoDB commands
 * and bytes written. Pure: the scenarios hand in their CPU windows and counts.
 */
import { JIT_THREAD, type CpuReport } from './cpu';

/** The three sagas scenario 1 runs side by side. */
export type Side = 'noop' | 'minimal' | 'ours';
export type ProcessKind = 'worker' | 'API' | 'read side' | 'Temporal' | 'MongoDB' | 'load generator';
export const PROCESS_KINDS: ProcessKind[] = ['worker', 'API', 'read side', 'Temporal', 'MongoDB'];

/** A process the CPU sampler watches: whose it is (a side's, shared by all sides, or the load generator) and what kind. */
export interface CpuTarget {
  name: string;
  pid: number | null | undefined;
  side: Side | 'shared' | 'load';
  kind: ProcessKind;
  threads?: boolean;
}

export interface CpuPerSaga {
  /** CPU ms per saga of each process kind the side has (a kind it does not run is absent). */
  byKind: Partial<Record<ProcessKind, number>>;
  /** All the system's processes together (the load generator, which drives every side alike, excluded). */
  total: number;
  loadGenerator: number;
  /**
   * What a JVM stand-in's JIT compiler threads used (0 where none is sampled), held apart: not in
   * the MongoDB figure nor in the total. A MongoDB server compiles nothing at run time, and what
   * the stand-in compiles is charged to whichever side's round it falls in (see cpuPerSaga).
   */
  mongoJit?: number;
}

/**
 * CPU ms per saga of one side over its rounds: each process's CPU seconds summed over the rounds'
 * windows, by kind, over the sagas the rounds completed. Servers (Temporal, MongoDB) are shared,
 * so a side is charged for what they did while its own rounds ran. The MongoDB stand-in's JIT
 * compiler threads are held apart: the warm-up does not quiet them, and what they compile during a
 * round depends on which code paths reach the JVM's thresholds then (5 to 25 ms per saga in our
 * rounds at C=1 over seven runs, under 5 in the minimal side's), not on what the round's sagas did.
 */
export function cpuPerSaga(windows: CpuReport[], targets: CpuTarget[], side: Side, sagas: number): CpuPerSaga {
  const byName = new Map(targets.map((t) => [t.name, t]));
  const byKind: Partial<Record<ProcessKind, number>> = {};
  let loadGenerator = 0;
  let mongoJit = 0;
  for (const window of windows) {
    for (const p of window.processes) {
      const target = byName.get(p.name);
      if (!target) continue;
      const jit =
        target.kind === 'MongoDB'
          ? (p.threads ?? []).filter((t) => JIT_THREAD.test(t.name)).reduce((sum, t) => sum + t.cpuSeconds, 0)
          : 0;
      if (target.side === 'load') loadGenerator += p.cpuSeconds;
      else if (target.side === side || target.side === 'shared') {
        byKind[target.kind] = (byKind[target.kind] ?? 0) + p.cpuSeconds - jit;
        mongoJit += jit;
      }
    }
  }
  const perSaga = (s: number) => (sagas > 0 ? Math.round((s * 1000 * 10) / sagas) / 10 : NaN);
  const out: CpuPerSaga['byKind'] = {};
  for (const [kind, seconds] of Object.entries(byKind) as Array<[ProcessKind, number]>) out[kind] = perSaga(seconds);
  const total = Object.values(out).reduce((a, b) => a + b, 0);
  return {
    byKind: out,
    total: Math.round(total * 10) / 10,
    loadGenerator: perSaga(loadGenerator),
    mongoJit: perSaga(mongoJit),
  };
}
