export * from './commands';
export { changes, decide, evolve, initialState } from './decider';
export * from './errors';
export type { DeclineFailure, PaymentDecision } from './events';
