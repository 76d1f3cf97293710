import type { Logger } from './logger';
import { probe } from './probe';

export interface WatchdogOptions {
  /** Which process this is, for the log line. */
  what: string;
  /** One cheap question per server this process needs (a MongoDB ping, a Temporal system-info call). */
  servers: Record<string, () => Promise<unknown>>;
  /** WATCHDOG_TIMEOUT: how long a server may go unreached before the process gives up. */
  timeoutMs: number;
  log: Logger;
  /** How the process ends; a test hands in its own. */
  exit?: (code: number) => void;
  /** The clock; a test hands in its own. */
  now?: () => number;
}

export interface Watchdog {
  stop(): void;
}

/** The exit code of a process the watchdog ended, so a supervisor's log tells it from a crash. */
export const WATCHDOG_EXIT_CODE = 75;

/**
 * Ends the process when one of its servers has not answered for `timeoutMs`, with a log line
 * saying which and since when, so that its supervisor (npm start's, docker's, an orchestrator's)
 * starts a fresh one: a process can get wedged in ways a retry does not undo (a connection pool
 * stuck on a server that came back elsewhere, a client that gave up for good), and a restart is
 * the one remedy for all of them. Outages shorter than the timeout are ridden out as before.
 *
 * Each server is asked again only once its previous question was answered or timed out, so a
 * frozen server does not pile questions up; the time counts from the last answer (or from the
 * start, for a server never reached).
 */
export function startWatchdog(options: WatchdogOptions): Watchdog {
  const { log, timeoutMs } = options;
  const now = options.now ?? Date.now;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  // Often enough to end within about a tenth past the timeout; never busier than 4 a second.
  const everyMs = Math.min(5_000, Math.max(250, Math.floor(timeoutMs / 12)));
  const questionTimeoutMs = Math.min(5_000, Math.max(500, Math.floor(timeoutMs / 6)));
  const started = now();
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const watch = async (server: string, ask: () => Promise<unknown>) => {
    let reachedAt = started;
    let down: string | undefined;
    while (!stopped) {
      const result = await probe(ask, questionTimeoutMs);
      if (stopped) return;
      if (result.up) {
        if (down !== undefined)
          log.info({ server, unreachableForMs: now() - reachedAt }, `watchdog: ${server} answers again`);
        reachedAt = now();
        down = undefined;
      } else {
        if (down === undefined)
          log.warn(
            { server, error: result.error, timeoutMs },
            `watchdog: ${server} does not answer; this process exits if it has not answered for ${seconds(timeoutMs)}`,
          );
        down = result.error;
        const unreachableForMs = now() - reachedAt;
        if (unreachableForMs >= timeoutMs) {
          stopped = true;
          log.fatal(
            { server, unreachableForMs, timeoutMs, lastError: down, exitCode: WATCHDOG_EXIT_CODE },
            `watchdog: ${options.what} has not reached ${server} for ${seconds(unreachableForMs)} (WATCHDOG_TIMEOUT ${seconds(timeoutMs)}); exiting so that its supervisor restarts it`,
          );
          exit(WATCHDOG_EXIT_CODE);
          return;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, everyMs);
        // The watchdog alone never keeps a process alive that is otherwise done.
        timer.unref();
        timers.add(timer);
      });
    }
  };

  for (const [server, ask] of Object.entries(options.servers)) void watch(server, ask);
  return {
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

const seconds = (ms: number) => `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
