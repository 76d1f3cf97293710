import { AccountAlreadyExistsError, AccountNotFoundError, InsufficientFundsError, InvalidAmountError } from './errors';
import {
  MAX_AMOUNT,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type Movement,
  type RecordedAccountEvent,
} from './events';

/**
 * The account aggregate as a decider: three pure functions, no I/O. The state is the fold of the
 * events (`events.reduce(evolve, initialState())`); time travel is the same fold over a prefix.
 */
export function initialState(): AccountState {
  return { status: 'not_opened' };
}

export function evolve(state: AccountState, event: RecordedAccountEvent): AccountState {
  const at = timestampOf(event);
  switch (event.type) {
    case 'AccountOpened':
      return {
        status: 'open',
        owner: event.data.owner,
        customerId: event.data.customerId ?? null,
        customer: event.data.customer ?? null,
        balance: event.data.initial,
        openedAt: at,
        updatedAt: at,
      };
    case 'Deposited':
      return state.status === 'open'
        ? { ...state, balance: state.balance + event.data.amount, updatedAt: at ?? state.updatedAt }
        : state;
    case 'Withdrawn':
      return state.status === 'open'
        ? { ...state, balance: state.balance - event.data.amount, updatedAt: at ?? state.updatedAt }
        : state;
    default:
      // Events this code does not know (written by a newer version) leave the state alone.
      return state;
  }
}

export function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'OpenAccount': {
      checkAmount(command.initialDeposit, { allowZero: true });
      if (state.status === 'open') throw new AccountAlreadyExistsError(command.accountId);
      return [
        {
          type: 'AccountOpened',
          data: {
            owner: command.owner,
            initial: command.initialDeposit,
            ...(command.customerId !== undefined && { customerId: command.customerId }),
            ...(command.customer !== undefined && { customer: command.customer }),
          },
        },
      ];
    }
    case 'Deposit': {
      checkAmount(command.amount);
      const open = requireOpen(command.accountId, state);
      if (open.balance + command.amount > Number.MAX_SAFE_INTEGER)
        throw new InvalidAmountError(command.amount, 'the balance would exceed the largest safe integer');
      return [{ type: 'Deposited', data: movement(command) }];
    }
    case 'Withdraw': {
      checkAmount(command.amount);
      const open = requireOpen(command.accountId, state);
      if (command.amount > open.balance)
        throw new InsufficientFundsError(command.accountId, open.balance, command.amount);
      return [{ type: 'Withdrawn', data: movement(command) }];
    }
  }
}

/** A whole number of cents, positive (or zero where allowed), at most MAX_AMOUNT. */
export function checkAmount(amount: unknown, { allowZero = false } = {}): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount))
    throw new InvalidAmountError(amount, 'must be a whole number of cents');
  if (amount < 0 || (amount === 0 && !allowZero))
    throw new InvalidAmountError(amount, allowZero ? 'must not be negative' : 'must be greater than zero');
  if (amount > MAX_AMOUNT) throw new InvalidAmountError(amount, `must be at most ${MAX_AMOUNT}`);
}

function requireOpen(accountId: string, state: AccountState) {
  if (state.status !== 'open') throw new AccountNotFoundError(accountId);
  return state;
}

/** Optional fields only when set, so stored events carry no nulls for them. */
function movement(command: Movement): Movement {
  return {
    amount: command.amount,
    ...(command.reason !== undefined ? { reason: command.reason } : {}),
    ...(command.reference !== undefined ? { reference: command.reference } : {}),
  };
}

function timestampOf(event: RecordedAccountEvent): string | null {
  const at = event.metadata?.timestamp;
  if (at === undefined) return null;
  return at instanceof Date ? at.toISOString() : at;
}
