/** Scale figures: each configuration's throughput and read-side figures as ratios to the one-process run of its kind. Pure. */
import { ratio } from './util';

export interface ScaleRun {
  /** What was multiplied: order worker processes, or read-side processes. */
  what: 'workers' | 'read sides';
  processes: number;
  concurrency: number;
  orders: number;
  perSecond: number;
  p50: number;
  p99: number;
  readableP50: number;
  readableP99: number;
  readablePerSecond: number;
  /** CPU ms per saga by process kind, all of them. */
  cpuMsPerSaga: Record<string, number>;
  cpuMsTotal: number;
  loadAverage: number;
}

export interface ScaleRow extends ScaleRun {
  /** To the one-process run of the same kind (NaN when it is missing). */
  throughputRatio: number;
  readableP99Ratio: number;
  readablePerSecondRatio: number;
}

export function scaleRows(runs: ScaleRun[]): ScaleRow[] {
  return runs.map((run) => {
    const one = runs.find((r) => r.what === run.what && r.processes === 1);
    return {
      ...run,
      throughputRatio: one ? ratio(run.perSecond, one.perSecond) : NaN,
      readableP99Ratio: one ? ratio(run.readableP99, one.readableP99) : NaN,
      readablePerSecondRatio: one ? ratio(run.readablePerSecond, one.readablePerSecond) : NaN,
    };
  });
}
