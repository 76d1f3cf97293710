import type { Collection, Filter } from 'mongodb';
import type { StoredEvent } from '../eventstore';
import { backoffDelay } from '../infra/backoff';
import type { Logger } from '../infra/logger';
import type { CheckpointDocument } from './checkpoints';
import type { Subscription } from './types';

/** While stalled on a systemic failure, retries back off up to this interval. */
export const STALLED_RETRY_MAX_MS = 5_000;

/**
 * Handles one event with the subscription's retry policy: backoff between attempts; once the
 * attempts are used up, the event is parked if `isPoison` says it is the problem, and otherwise
 * retried without end while the checkpoint reports the subscription stalled. The checkpoint also
 * carries the last error and a failure count, for whoever reads the status.
 */
export function retrying(subscription: Subscription, deps: { cps: Collection<CheckpointDocument>; owner: () => Filter<CheckpointDocument>; log: Logger; stopped: () => boolean }) {
  const retry = subscription.retry ?? { initialMs: 100, maxMs: 5_000, maxAttempts: 10 };
  let stalled = false;

  /**
   * Poison, systemic, or handled after all. One healthy answer of `isPoison` is not enough: a
   * store that came back between the last attempt and the probe (or flaps) would pass for healthy
   * while the event failed only because of it. So the event is tried once more between two
   * healthy answers, back to back: failing there, with the store healthy just before and just
   * after, it is the problem.
   */
  async function verdict(event: StoredEvent, err: unknown, attempts: number): Promise<{ is: 'poison'; error: unknown; attempts: number } | { is: 'systemic' | 'handled' }> {
    if (!subscription.isPoison) return { is: 'poison', error: err, attempts };
    const healthy = (error: unknown) => subscription.isPoison!(event, error).catch(() => false);
    if (!(await healthy(err))) return { is: 'systemic' };
    try {
      await subscription.handle(event);
      return { is: 'handled' };
    } catch (again) {
      if (deps.stopped()) throw new Error('stopped');
      return (await healthy(again)) ? { is: 'poison', error: again, attempts: attempts + 1 } : { is: 'systemic' };
    }
  }

  async function recovered(event: StoredEvent, attempts: number) {
    // The failure is over: whoever reads the status sees neither a stall nor its error any more.
    await deps.cps.updateOne(deps.owner(), { $set: { stalledSince: null, lastError: null } }).catch(() => {});
    if (stalled) deps.log.info({ subscription: subscription.name, position: event.position, attempts }, 'recovered from a systemic failure');
    stalled = false;
  }

  return async function handleWithRetry(event: StoredEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await subscription.handle(event);
        if (attempt > 1) await recovered(event, attempt);
        return;
      } catch (err) {
        if (deps.stopped()) throw new Error('stopped');
        // The error is recorded from the first failure on, so that a status that turns stalled
        // (no progress) before the attempts are used up already says why.
        await deps.cps.updateOne(deps.owner(), { $inc: { failures: 1 }, $set: { lastError: String(err).slice(0, 500) } }).catch(() => {});
        if (attempt >= retry.maxAttempts && subscription.onPoison) {
          const decided = await verdict(event, err, attempt);
          if (decided.is === 'handled') {
            await recovered(event, attempt + 1);
            return;
          }
          if (decided.is === 'poison') {
            deps.log.error({ err: String(decided.error), subscription: subscription.name, position: event.position, attempts: decided.attempts }, 'event parked after retries');
            await subscription.onPoison(event, decided.error, decided.attempts);
            return;
          }
          if (!stalled) {
            stalled = true;
            deps.log.error({ err: String(err), subscription: subscription.name, position: event.position, attempts: attempt }, 'systemic failure: retrying without parking');
            await deps.cps.updateOne(deps.owner(), { $set: { stalledSince: new Date() } }).catch(() => {});
          }
        }
        const cap = attempt >= retry.maxAttempts ? STALLED_RETRY_MAX_MS : retry.maxMs;
        const delay = backoffDelay(Math.min(attempt, 20), { initialMs: retry.initialMs, maxMs: cap });
        if (attempt === 1 || attempt % 10 === 0) {
          deps.log.warn({ err: String(err), subscription: subscription.name, position: event.position, attempt, retryInMs: delay }, 'event handling failed; retrying');
        }
        // Not woken by new appends: a failing service gets its backoff, however busy the log is.
        await new Promise((r) => setTimeout(r, delay));
        if (deps.stopped()) throw new Error('stopped');
      }
    }
  };
}
