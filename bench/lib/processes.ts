import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Tallies } from './command-count';
import type { ByteTallies } from './bytes-written';

/** The parts bench/role-child.ts can run, one per process. */
export type ChildRole = 'api' | 'worker' | 'readside' | 'noop-worker' | 'minimal-worker' | 'minimal-watcher';

export type ChildRequest = { id: number; op: 'work' | 'pause' | 'resume' | 'stop' };

/** What a process has done so far: its MongoDB commands and the bytes its writes carried. */
export interface Work {
  commands: Tallies;
  bytes: ByteTallies;
}

export interface RoleProcess {
  role: ChildRole;
  pid: number;
  baseUrl?: string;
  work(): Promise<Work>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface ChildSettings {
  temporalAddress: string;
  namespace: string;
  mongodbUri: string;
  taskQueue: string;
  db: string;
}

/** Starts one part of the system in a process of its own and waits until it is ready (a worker: polling). */
export async function startRole(role: ChildRole, settings: ChildSettings, timeoutMs = 180_000): Promise<RoleProcess> {
  const child: ChildProcess = fork(path.join(__dirname, '..', 'role-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      BENCH_ROLE: role,
      BENCH_TEMPORAL_ADDRESS: settings.temporalAddress,
      BENCH_TEMPORAL_NAMESPACE: settings.namespace,
      BENCH_MONGODB_URI: settings.mongodbUri,
      BENCH_TASK_QUEUE: settings.taskQueue,
      BENCH_DB: settings.db,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let exited = false;
  const ready = new Promise<{ baseUrl?: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${role} process not ready within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.on('message', (m: any) => {
      if (m?.ready) {
        clearTimeout(timer);
        resolve(m);
      } else if (typeof m?.id === 'number') {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new Error(`${role}: ${m.error}`));
        else w?.resolve(m.result);
      }
    });
    child.once('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`${role} process exited with ${code} before it was ready`));
      for (const w of waiting.values()) w.reject(new Error(`${role} process exited with ${code}`));
      waiting.clear();
    });
  });
  const ask = <T>(op: ChildRequest['op']): Promise<T> =>
    exited
      ? Promise.reject(new Error(`${role} process has exited`))
      : new Promise<T>((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, { resolve, reject });
          child.send({ id, op } satisfies ChildRequest);
        });
  let started: { baseUrl?: string };
  try {
    started = await ready;
  } catch (err) {
    if (!exited) child.kill('SIGKILL');
    throw err;
  }
  return {
    role,
    pid: child.pid!,
    baseUrl: started.baseUrl,
    work: () => ask<Work>('work'),
    pause: () => ask<void>('pause'),
    resume: () => ask<void>('resume'),
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await ask<void>('stop').catch(() => child.kill('SIGKILL'));
      await gone;
      clearTimeout(timer);
    },
  };
}
