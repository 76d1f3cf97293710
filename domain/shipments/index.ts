export * from './commands';
export { decide, DELIVERABLE_COUNTRIES, evolve, initialState, trackingIdOf } from './decider';
export * from './errors';
export type { ShipmentDecision } from './events';
