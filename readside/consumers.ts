import type { Db } from 'mongodb';
import type { BreakerSettings } from '../domain/breakers';
import type { EventStore } from '../eventstore';
import { createBreakers } from '../infra/breakers';
import { createFaults } from '../infra/faults';
import type { Logger } from '../infra/logger';
import { projections } from './projections';
import { startProjector } from './projections/projector';
import { emailSubscription } from './email/subscription';
import { watchLog } from './engine/log-watcher';
import { createLeases, processHolderId, runWhileLeased } from './engine/leases';
import { checkpoints } from './engine/checkpoints';
import { runSubscription } from './engine/runner';

/**
 * Everything that consumes the event log, each with its own checkpoint, so one failing never
 * holds up another: the Email service (event notification) and the read-model projections
 * (orders, inventory, accounts, sales analytics).
 */
export async function startConsumers(
  { db, store, log }: { db: Db; store: EventStore; log: Logger },
  options: { faultInjection?: boolean; breakers?: BreakerSettings | 'off' } = {},
): Promise<{ projector: ReturnType<typeof startProjector>; stop(): Promise<void> }> {
  // Off in production: then no subscription consults faults at all.
  const faults = (options.faultInjection ?? true) ? createFaults(db) : undefined;
  // One change stream for the whole process, resumed where the latest checkpoint saw it last.
  const latest = await checkpoints(db)
    .find({ resumeToken: { $ne: null } })
    .sort({ updatedAt: -1 })
    .limit(1)
    .next();
  const watcher = watchLog(db, log, { startAfter: latest?.resumeToken ?? null });
  // Several projector processes may run: each subscription and projection has one holder at a time.
  const leases = createLeases(db, processHolderId());
  // The Email service goes through the shared `email` breaker, as the workers' steps go through theirs.
  const breakers = options.breakers === 'off' ? undefined : createBreakers({ db, store, settings: options.breakers });
  const email = runWhileLeased(
    'subscription:email',
    leases,
    (epoch) => {
      // A send waiting on the breaker ends when the subscription stops (the lease lost, or the process stopping).
      const stopping = new AbortController();
      const running = runSubscription(
        { ...emailSubscription({ db, faults, breakers, signal: stopping.signal }), epoch },
        { db, store, log, watcher },
      );
      return {
        async stop() {
          const stopped = running.stop();
          stopping.abort();
          await stopped;
        },
      };
    },
    log,
  );
  const projector = startProjector(projections, { db, store, faults, log, watcher, leases });
  return {
    projector,
    stop: async () => {
      await Promise.all([email.stop(), projector.stop()]);
      // The sends' successes this process still holds go to the shared window before the client closes.
      await breakers?.stop();
      await watcher.close();
    },
  };
}
