export { initialState, evolve, decide, checkAmount } from './decider';
export * from './events';
export * from './errors';
export {
  createAccountService,
  accountEvolver,
  accountStreamId,
  ACCOUNT_STREAM_TYPE,
  type AccountService,
  type AccountServiceDeps,
  type AccountView,
  type CommandOptions,
} from './service';
