import type { Collection, Filter } from 'mongodb';
import type { StoredEvent } from '../../eventstore';
import { backoffDelay } from '../../infra/backoff';
import type { Logger } from '../../infra/logger';
import type { CheckpointDocument } from './checkpoints';
import type { HandleWithRetry, Subscription } from './types';

/** While stalled on a systemic failure, retries back off up to this interval. */
export const STALLED_RETRY_MAX_MS = 5_000;

/**
 * Handles one event with the subscription's retry policy: backoff between attempts; once the
 * attempts are used up, the event is parked if `isPoison` says it is the problem, and otherwise
 * retried without end while the checkpoint reports the subscription stalled. The checkpoint also
 * carries the last error and a failure count, for whoever reads the status.
 *
 * One healthy answer of `isPoison` after a failure is not enough: a store that came back between
 * the attempt and the probe (or flaps) would pass for healthy while the event failed only because
 * of it. So from the last attempt of the budget on, `isPoison` is asked right before each attempt
 * as well, and the event is poison only when an attempt fails between two healthy answers taken
 * back to back around it.
 */
export function retrying(
  subscription: Subscription,
  deps: {
    cps: Collection<CheckpointDocument>;
    owner: () => Filter<CheckpointDocument>;
    log: Logger;
    stopped: () => boolean;
  },
) {
  const retry = subscription.retry ?? { initialMs: 100, maxMs: 5_000, maxAttempts: 10 };
  let stalled = false;
  // Without `isPoison`, every event that used its attempts is poison.
  const healthy = (event: StoredEvent, error: unknown) =>
    subscription.isPoison ? subscription.isPoison(event, error).catch(() => false) : Promise.resolve(true);

  const handleWithRetry: HandleWithRetry = async (event) => {
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      const decisive = attempt >= retry.maxAttempts && subscription.onPoison !== undefined;
      // Never asked before an event's first attempt: the usual path costs nothing.
      const healthyBefore = decisive && (attempt > 1 || !subscription.isPoison) && (await healthy(event, lastError));
      try {
        await subscription.handle(event);
        if (attempt > 1) {
          // The failure is over: whoever reads the status sees neither a stall nor its error any more,
          // and sees progress now. A lazy checkpoint would report it only within LAZY_CHECKPOINT_MS, and
          // meanwhile the stall's old progress stamp would make the status call it stalled again.
          await deps.cps
            .updateOne(deps.owner(), { $set: { stalledSince: null, lastError: null, progressAt: new Date() } })
            .catch(() => {});
          if (stalled)
            deps.log.info(
              { subscription: subscription.name, position: event.position, attempts: attempt },
              'recovered from a systemic failure',
            );
          stalled = false;
        }
        return 'handled';
      } catch (err) {
        lastError = err;
        if (deps.stopped()) throw new Error('stopped');
        // The error is recorded from the first failure on, so that a status that turns stalled
        // (no progress) before the attempts are used up already says why.
        await deps.cps
          .updateOne(deps.owner(), { $inc: { failures: 1 }, $set: { lastError: String(err).slice(0, 500) } })
          .catch(() => {});
        if (decisive) {
          if (healthyBefore && (await healthy(event, err))) {
            deps.log.error(
              { err: String(err), subscription: subscription.name, position: event.position, attempts: attempt },
              'event parked after retries',
            );
            await subscription.onPoison!(event, err, attempt);
            return 'poison';
          }
          if (!stalled) {
            stalled = true;
            deps.log.error(
              { err: String(err), subscription: subscription.name, position: event.position, attempts: attempt },
              'systemic failure: retrying without parking',
            );
            await deps.cps.updateOne(deps.owner(), { $set: { stalledSince: new Date() } }).catch(() => {});
          }
        }
        const cap = attempt >= retry.maxAttempts ? STALLED_RETRY_MAX_MS : retry.maxMs;
        const delay = backoffDelay(Math.min(attempt, 20), { initialMs: retry.initialMs, maxMs: cap });
        if (attempt === 1 || attempt % 10 === 0) {
          deps.log.warn(
            { err: String(err), subscription: subscription.name, position: event.position, attempt, retryInMs: delay },
            'event handling failed; retrying',
          );
        }
        // Not woken by new appends: a failing service gets its backoff, however busy the log is.
        await new Promise((r) => setTimeout(r, delay));
        if (deps.stopped()) throw new Error('stopped');
      }
    }
  };
  return handleWithRetry;
}
