import type { Db } from 'mongodb';
import { createEventStore } from '../eventstore';
import { createFaults } from '../infra/faults';
import type { Logger } from '../infra/logger';
import { projections } from '../projections';
import { startProjector } from '../projections/projector';
import { emailSubscription } from './email';
import { runSubscription, type RunningSubscription } from './runner';

/**
 * Everything that consumes the event log, each with its own checkpoint, so one failing never
 * holds up another: the Email service (event notification) and the read-model projections
 * (orders, inventory, accounts, sales analytics).
 */
export function startConsumers(db: Db, log: Logger): { email: RunningSubscription; projector: ReturnType<typeof startProjector>; stop(): Promise<void> } {
  const store = createEventStore(db);
  const faults = createFaults(db);
  const email = runSubscription(emailSubscription({ db, faults }), { db, store, log });
  const projector = startProjector(projections, { db, store, faults, log });
  return {
    email,
    projector,
    stop: async () => {
      await Promise.all([email.stop(), projector.stop()]);
    },
  };
}
