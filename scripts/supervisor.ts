import { spawn, type ChildProcess } from 'node:child_process';
import { backoffDelay } from '../infra/backoff';
import { stopChild } from '../servers/mongodb';

export interface ManagedProcess {
  name: string;
  /**
   * Resolves the first time the process reports ready over IPC; rejects when it exits
   * `startAttempts` times in a row without ever having been ready (it cannot start: a port taken,
   * a setting it refuses), and it is then not restarted again.
   */
  ready: Promise<void>;
  stop(): Promise<void>;
  /** Sends a signal to the running process (the supervisor then restarts it, as after a crash). */
  kill(signal: NodeJS.Signals): boolean;
  /** Times the process was started. */
  starts(): number;
}

/**
 * Runs one of our TypeScript entry points as a child process and restarts it when it dies
 * unexpectedly (with backoff), so killing the worker or the API never takes the system down.
 * A process that has never been ready is given `startAttempts` tries (5 by default, 7.5 s of
 * backoff between them): one that cannot start fails the start instead of being restarted forever.
 */
export function supervise(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  log: (message: string) => void,
  options: { startAttempts?: number } = {},
): ManagedProcess {
  const startAttempts = options.startAttempts ?? 5;
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let starts = 0;
  let wasReady = false;
  let markReady!: () => void;
  let cannotStart!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = () => {
      wasReady = true;
      resolve();
    };
    cannotStart = reject;
  });
  // Callers await it; one that stopped listening (another process failed first) must not turn this into an unhandled rejection.
  ready.catch(() => {});

  const launch = () => {
    const started = Date.now();
    starts += 1;
    child = spawn(process.execPath, ['--import', 'tsx', entry], {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message) => {
      if (typeof message === 'object' && message !== null && (message as { ready?: boolean }).ready) markReady();
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      if (!wasReady && starts >= startAttempts) {
        stopping = true;
        log(`${name} exited (${signal ?? `code ${code}`}) ${starts} times without becoming ready; not restarting it`);
        cannotStart(
          new Error(
            `${name} could not start: it exited ${starts} times without becoming ready (last: ${signal ?? `code ${code}`}); its output above says why`,
          ),
        );
        return;
      }
      // A process that lived a while gets a fresh backoff; a crash loop backs off up to 10 s.
      if (Date.now() - started > 30_000) restarts = 0;
      const delay = backoffDelay(++restarts, { initialMs: 500, maxMs: 10_000 });
      log(`${name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => !stopping && launch(), delay);
    });
  };
  launch();

  return {
    name,
    ready,
    stop: async () => {
      stopping = true;
      if (child) await stopChild(child, 15_000);
    },
    kill: (signal) => (child && child.exitCode === null && child.signalCode === null ? child.kill(signal) : false),
    starts: () => starts,
  };
}
