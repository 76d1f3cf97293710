import { accountEvolver } from '../../domain/accounts';
import * as orders from '../../domain/orders';
import * as payments from '../../domain/payments';
import * as shipments from '../../domain/shipments';
import type { Evolver, StoredEvent } from '../../eventstore';
import type { DECIDED_STREAM_TYPES } from '../contract';

/**
 * Each aggregate's fold, by its stream type: the evolve of its decider (domain/<aggregate>/decider.ts),
 * as the services fold their streams. Accounts fold through the account service's evolver, the one
 * GET /accounts/:id time-travels with (its snapshots are of that evolver's schema); the others read
 * no snapshots, as their services do not.
 */
const evolverOf = <S, E>(initialState: () => S, evolve: (state: S, event: E) => S): Evolver<unknown> => ({
  initialState,
  evolve: (state, event: StoredEvent) => evolve(state as S, event as unknown as E),
});

export const STREAM_EVOLVERS: Record<
  (typeof DECIDED_STREAM_TYPES)[number],
  { evolver: Evolver<unknown>; snapshots: boolean }
> = {
  account: { evolver: accountEvolver, snapshots: true },
  order: { evolver: evolverOf(orders.initialState, orders.evolve), snapshots: false },
  payment: { evolver: evolverOf(payments.initialState, payments.evolve), snapshots: false },
  shipment: { evolver: evolverOf(shipments.initialState, shipments.evolve), snapshots: false },
};
