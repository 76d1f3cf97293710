import { performance } from 'node:perf_hooks';

const started = performance.now();

/** One progress line, prefixed with the time since the run started. */
export function log(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${s}s] ${message}`);
}

export const now = () => performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LatencySummary {
  count: number;
  mean: number;
  /** The tenth percentile: the floor a latency can reach on this machine (the minimum is noise). */
  p10: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: round(sum / (sorted.length || 1)),
    p10: round(percentile(sorted, 10)),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
  };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function ratio(ours: number, baseline: number): number {
  return baseline > 0 && Number.isFinite(ours) ? round(ours / baseline, 3) : NaN;
}

/**
 * Runs `task(i)` for i in [0, total) with at most `concurrency` in flight (a closed loop: each
 * virtual user starts its next task when the previous one finished). Returns wall time in ms.
 */
export async function closedLoop(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const t0 = now();
  const user = async () => {
    while (next < total) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, user));
  return now() - t0;
}

/** Like closedLoop, but for a fixed duration instead of a fixed count. Returns [completed, wall ms]. */
export async function timedLoop(
  durationMs: number,
  concurrency: number,
  task: (user: number, i: number) => Promise<number>,
): Promise<{ ops: number; ms: number }> {
  let ops = 0;
  const t0 = now();
  const deadline = t0 + durationMs;
  const user = async (u: number) => {
    let i = 0;
    while (now() < deadline) ops += await task(u, i++);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, u) => user(u)));
  return { ops, ms: now() - t0 };
}

export function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: unknown };
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- driver error codes are numbers or strings
  return `${e?.name ?? 'Error'}${e?.code !== undefined ? ` (code ${String(e.code)})` : ''}: ${e?.message ?? String(err)}`.slice(
    0,
    500,
  );
}
