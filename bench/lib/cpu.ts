import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux we run on. */
const TICKS = 100;

function ticksOf(statPath: string): { ticks: number; name: string } | null {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (stat fields 14 and 15)
    return { ticks: Number(fields[11]) + Number(fields[12]), name };
  } catch {
    return null;
  }
}

export interface CpuReport {
  seconds: number;
  /** Per process: CPU seconds used and average cores busy over the window. */
  processes: Array<{
    name: string;
    pid: number;
    cpuSeconds: number;
    avgCores: number;
    threads?: Array<{ name: string; cpuSeconds: number }>;
  }>;
  machineBusyCores: number | null;
}

function threadTicks(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    const t = ticksOf(`/proc/${pid}/task/${tid}/stat`);
    if (!t) continue;
    // Group threads by name (tokio-runtime-w, node, libuv workers "node" too, V8 "V8Worker"...).
    const key = tid === String(pid) ? `${t.name} (main thread)` : t.name;
    byName.set(key, (byName.get(key) ?? 0) + t.ticks);
  }
  return byName;
}

function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (line[3] ?? 0) + (line[4] ?? 0);
    const total = line.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * `top` in miniature: CPU time of whole processes (and of this process's threads, by name)
 * between start() and stop(), from /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat.
 */
export function cpuWindow(targets: Array<{ name: string; pid: number | null | undefined; threads?: boolean }>) {
  const present = targets.filter(
    (t): t is { name: string; pid: number; threads?: boolean } => typeof t.pid === 'number',
  );
  const start = new Map(present.map((t) => [t.pid, ticksOf(`/proc/${t.pid}/stat`)?.ticks ?? 0]));
  const startThreads = new Map(present.filter((t) => t.threads).map((t) => [t.pid, threadTicks(t.pid)]));
  const m0 = machineTicks();
  const t0 = Date.now();
  return {
    stop(): CpuReport {
      const seconds = (Date.now() - t0) / 1000;
      const m1 = machineTicks();
      const cores = Number(process.env.BENCH_CORES) || undefined;
      const processes = present.map((t) => {
        const used = ((ticksOf(`/proc/${t.pid}/stat`)?.ticks ?? 0) - start.get(t.pid)!) / TICKS;
        const entry: CpuReport['processes'][number] = {
          name: t.name,
          pid: t.pid,
          cpuSeconds: r(used),
          avgCores: r(used / seconds),
        };
        if (t.threads) {
          const before = startThreads.get(t.pid)!;
          const after = threadTicks(t.pid);
          entry.threads = [...after.entries()]
            .map(([name, ticks]) => ({ name, cpuSeconds: r((ticks - (before.get(name) ?? 0)) / TICKS) }))
            .filter((x) => x.cpuSeconds > 0.005)
            .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
        }
        return entry;
      });
      const machineBusyCores =
        m0 && m1 && m1.total > m0.total
          ? r(((m1.busy - m0.busy) / (m1.total - m0.total)) * (cores ?? os.cpus().length))
          : null;
      return { seconds: r(seconds), processes, machineBusyCores };
    },
  };
}

const r = (x: number) => Math.round(x * 100) / 100;

/** A HotSpot JIT compiler thread's name, as /proc shows it. */
export const JIT_THREAD = /^C[12] CompilerThre/;

/**
 * CPU seconds a JVM's JIT compiler threads (named "C1 CompilerThre…", "C2 CompilerThre…") have used
 * so far; 0 for a process that has none or is gone.
 */
export function jitCpuSeconds(pid: number | null | undefined): number {
  if (typeof pid !== 'number') return 0;
  let ticks = 0;
  for (const [name, t] of threadTicks(pid)) if (JIT_THREAD.test(name)) ticks += t;
  return ticks / TICKS;
}
