import type { Db } from 'mongodb';
import { createEventStore } from '../eventstore';
import { createFaults } from '../infra/faults';
import type { Logger } from '../infra/logger';
import { analyticsSubscription } from './analytics';
import { emailSubscription } from './email';
import { runSubscription, type RunningSubscription, type Subscription } from './runner';

/** Every consumer of the event log, each with its own checkpoint: one failing never holds up another. */
export function allSubscriptions(db: Db): Subscription[] {
  const faults = createFaults(db);
  return [emailSubscription({ db, faults }), analyticsSubscription({ db, faults })];
}

export function startConsumers(db: Db, log: Logger): { subscriptions: Map<string, RunningSubscription>; stop(): Promise<void> } {
  const store = createEventStore(db);
  const subscriptions = new Map(allSubscriptions(db).map((s) => [s.name, runSubscription(s, { db, store, log })]));
  return {
    subscriptions,
    stop: async () => {
      await Promise.all([...subscriptions.values()].map((s) => s.stop()));
    },
  };
}
