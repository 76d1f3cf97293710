import { readFileSync } from 'node:fs';

/** Resident memory (VmRSS) of a process in MiB, from /proc/<pid>/status; null when it is gone or unreadable. */
export function rssMiB(pid: number | null | undefined): number | null {
  if (typeof pid !== 'number') return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kB === undefined ? null : Math.round((Number(kB) / 1024) * 10) / 10;
  } catch {
    return null;
  }
}

/**
 * Samples the RSS of named processes every `everyMs` until stopped; `latest()` is the newest
 * sample per name. The timer is unref'd so a forgotten sampler never keeps the bench alive.
 */
export function rssSampler(targets: Array<{ name: string; pid: number | null | undefined }>, everyMs = 5_000) {
  const latest: Record<string, number | null> = {};
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const t of targets) {
      const mib = rssMiB(t.pid);
      latest[t.name] = mib;
      if (mib !== null) peak[t.name] = Math.max(peak[t.name] ?? 0, mib);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    /** Samples now and returns the newest figure per process. */
    now(): Record<string, number | null> {
      sample();
      return { ...latest };
    },
    peak: () => ({ ...peak }),
    stop: () => clearInterval(timer),
  };
}
