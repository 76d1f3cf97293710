import type { Db } from 'mongodb';
import {
  DEFAULT_BREAKER_SETTINGS,
  type BreakerService,
  type BreakerSettings,
  type BreakerWindow,
} from '../domain/breakers';

interface WindowDocument {
  _id: BreakerService;
  /** The stream version the window counts for: a transition starts a new count. */
  epoch: number;
  start: Date;
  calls: number;
  failures: number;
  /** The failures counted since the last success written (absent: none yet). */
  streak?: number;
}

/** Successes counted in this process and not yet written, with the epoch they were counted in. */
interface Pending {
  epoch: number;
  calls: number;
}

/**
 * The calls of each breaker's current window, counters in `breaker_windows` shared by every process.
 *
 * A success in a closed breaker decides nothing (domain/breakers: only a failure can open it), so
 * it is counted here in memory and written later, in one `$inc` with others: with the next failure
 * of the same epoch (whose decision then sees this process's exact count), with any other call
 * counted at once, or by a flush `successFlushMs` after the first success still unwritten. Other
 * processes see these successes up to that much later, so for that long the failure share they
 * decide on may look higher than it is; a process that dies loses its unwritten successes.
 *
 * Successes of an older epoch (the breaker moved after they were counted) are dropped, never carried
 * into the new epoch's window: they were calls to a service in the state the transition left behind.
 */
export function createBreakerWindows(deps: { db: Db; settings: BreakerSettings; now: () => number }) {
  const { settings, now } = deps;
  const flushMs = settings.successFlushMs ?? DEFAULT_BREAKER_SETTINGS.successFlushMs;
  const windows = deps.db.collection<WindowDocument>('breaker_windows');
  const pending = new Map<BreakerService, Pending>();
  /** Each service's flush under way: a failure waits for it, so its decision counts what it writes. */
  const flushing = new Map<BreakerService, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** This process's unwritten successes of `epoch`, taken to go out with a count of that epoch. */
  function take(service: BreakerService, epoch: number): number {
    const kept = pending.get(service);
    // Counted on a newer fold than this call's: they stay for a count of their own epoch.
    if (!kept || kept.epoch > epoch) return 0;
    pending.delete(service);
    return kept.epoch === epoch ? kept.calls : 0;
  }

  function keep(service: BreakerService, epoch: number, calls: number) {
    const kept = pending.get(service);
    if (kept && kept.epoch > epoch) return;
    pending.set(service, { epoch, calls: (kept?.epoch === epoch ? kept.calls : 0) + calls });
  }

  /**
   * Adds calls to the window of `epoch` (a new window when it is over); the window after, as this
   * process knows it. A window of a newer epoch is left alone: these counts are dropped.
   */
  async function write(
    service: BreakerService,
    epoch: number,
    calls: number,
    failures: number,
  ): Promise<BreakerWindow> {
    const at = now();
    // The calls counted together are this process's successes first and then at most one call, so a
    // failure among them follows every success among them: the streak starts again at it. A success
    // written late (a flush) ends the streak of failures other processes counted meanwhile, which only
    // delays the opening, never causes one.
    const streak = failures === 0 ? { $set: { streak: 0 } } : calls > failures ? { $set: { streak: failures } } : {};
    const counted = await windows.findOneAndUpdate(
      { _id: service, epoch, start: { $gt: new Date(at - settings.windowMs) } },
      { $inc: { calls, failures, ...(calls === failures && { streak: failures }) }, ...streak },
      { returnDocument: 'after' },
    );
    if (counted) return { calls: counted.calls, failures: counted.failures, streak: counted.streak ?? 0 };
    try {
      // Two workers may start a window at once; one count is lost then, which a share does not notice.
      await windows.updateOne(
        { _id: service, epoch: { $lte: epoch } },
        { $set: { epoch, start: new Date(at), calls, failures, streak: failures } },
        { upsert: true },
      );
    } catch (err) {
      // The window belongs to a newer epoch (the upsert's insert met its _id): this process is behind.
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    return { calls, failures, streak: failures };
  }

  async function flushService(service: BreakerService): Promise<void> {
    const kept = pending.get(service);
    if (!kept) return;
    pending.delete(service);
    const done = write(service, kept.epoch, kept.calls, 0).then(
      () => undefined,
      (err: unknown) => {
        // Kept for the next count or flush; nothing retries on its own, so a closed client ends here.
        keep(service, kept.epoch, kept.calls);
        throw err;
      },
    );
    flushing.set(service, done);
    try {
      await done;
    } finally {
      if (flushing.get(service) === done) flushing.delete(service);
    }
  }

  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const results = await Promise.allSettled([...pending.keys()].map(flushService));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  return {
    /**
     * Counts one call now, with this process's unwritten successes of the same epoch, and answers the
     * window with it: what a failure, or any call outside a closed breaker, decides on.
     */
    async count(service: BreakerService, epoch: number, failed: boolean): Promise<BreakerWindow> {
      await flushing.get(service)?.catch(() => undefined);
      return write(service, epoch, 1 + take(service, epoch), failed ? 1 : 0);
    },

    /** Counts a success of a closed breaker, to be written later; false once stopped (count it at once then). */
    defer(service: BreakerService, epoch: number): boolean {
      if (stopped) return false;
      keep(service, epoch, 1);
      if (!timer) {
        timer = setTimeout(() => {
          timer = undefined;
          // A failed flush keeps its counts for the next write; there is nobody here to tell.
          flush().catch(() => undefined);
        }, flushMs);
        timer.unref();
      }
      return true;
    },

    /** Writes every unwritten success now. */
    flush,

    /** Writes what is unwritten and counts every later call at once; what cannot be written is lost. */
    async stop(): Promise<void> {
      stopped = true;
      await flush().catch(() => undefined);
    },
  };
}
