import { describe, expect, it } from 'vitest';
import {
  AccountAlreadyExistsError,
  AccountNotFoundError,
  decide,
  evolve,
  initialState,
  InsufficientFundsError,
  InvalidAmountError,
  MAX_AMOUNT,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type RecordedAccountEvent,
} from '../../../domain/accounts';

const opened = (initial = 100): AccountEvent => ({ type: 'AccountOpened', data: { owner: 'ada', initial } });
const deposited = (amount: number, extra: { reason?: string; reference?: string } = {}): AccountEvent => ({
  type: 'Deposited',
  data: { amount, ...extra },
});
const withdrawn = (amount: number, extra: { reason?: string; reference?: string } = {}): AccountEvent => ({
  type: 'Withdrawn',
  data: { amount, ...extra },
});

const fold = (events: RecordedAccountEvent[]): AccountState => events.reduce(evolve, initialState());
const id = 'acc-1';

type Case = [
  name: string,
  given: AccountEvent[],
  command: AccountCommand,
  then: AccountEvent[] | (new (...args: never[]) => Error),
];

const cases: Case[] = [
  [
    'opens an account with an initial deposit',
    [],
    { type: 'OpenAccount', accountId: id, owner: 'ada', initialDeposit: 100 },
    [opened(100)],
  ],
  [
    'opens an account with nothing in it',
    [],
    { type: 'OpenAccount', accountId: id, owner: 'ada', initialDeposit: 0 },
    [opened(0)],
  ],
  [
    'refuses to open an account twice',
    [opened()],
    { type: 'OpenAccount', accountId: id, owner: 'bob', initialDeposit: 0 },
    AccountAlreadyExistsError,
  ],
  [
    'refuses a negative initial deposit',
    [],
    { type: 'OpenAccount', accountId: id, owner: 'ada', initialDeposit: -1 },
    InvalidAmountError,
  ],
  ['deposits money', [opened()], { type: 'Deposit', accountId: id, amount: 50 }, [deposited(50)]],
  [
    'records a refund as a deposit with reason and order reference',
    [opened(), withdrawn(30, { reason: 'order-payment', reference: 'o-1' })],
    { type: 'Deposit', accountId: id, amount: 30, reason: 'refund', reference: 'o-1' },
    [deposited(30, { reason: 'refund', reference: 'o-1' })],
  ],
  [
    'refuses a deposit to an account that was never opened',
    [],
    { type: 'Deposit', accountId: id, amount: 5 },
    AccountNotFoundError,
  ],
  ['refuses a zero deposit', [opened()], { type: 'Deposit', accountId: id, amount: 0 }, InvalidAmountError],
  ['refuses a fractional deposit', [opened()], { type: 'Deposit', accountId: id, amount: 1.5 }, InvalidAmountError],
  [
    'refuses a deposit above the cap',
    [opened()],
    { type: 'Deposit', accountId: id, amount: MAX_AMOUNT + 1 },
    InvalidAmountError,
  ],
  [
    'refuses a deposit that is not a number',
    [opened()],
    { type: 'Deposit', accountId: id, amount: '5' as unknown as number },
    InvalidAmountError,
  ],
  ['refuses NaN', [opened()], { type: 'Deposit', accountId: id, amount: Number.NaN }, InvalidAmountError],
  ['withdraws part of the balance', [opened(100)], { type: 'Withdraw', accountId: id, amount: 40 }, [withdrawn(40)]],
  [
    'withdraws the whole balance',
    [opened(100), withdrawn(60)],
    { type: 'Withdraw', accountId: id, amount: 40 },
    [withdrawn(40)],
  ],
  [
    'refuses to overdraw',
    [opened(100), withdrawn(60)],
    { type: 'Withdraw', accountId: id, amount: 41 },
    InsufficientFundsError,
  ],
  [
    'refuses a withdrawal from an account that was never opened',
    [],
    { type: 'Withdraw', accountId: id, amount: 1 },
    AccountNotFoundError,
  ],
  ['refuses a negative withdrawal', [opened()], { type: 'Withdraw', accountId: id, amount: -10 }, InvalidAmountError],
];

describe('account decider', () => {
  it.each(cases)('%s', (_name, given, command, then) => {
    const state = fold(given);
    if (Array.isArray(then)) expect(decide(command, state)).toEqual(then);
    else expect(() => decide(command, state)).toThrow(then);
  });

  it('says how much was there when refusing to overdraw', () => {
    const err = (() => {
      try {
        decide({ type: 'Withdraw', accountId: id, amount: 500 }, fold([opened(120)]));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InsufficientFundsError);
    expect(err).toMatchObject({ accountId: id, balance: 120, amount: 500 });
  });

  it('refuses a deposit that would push the balance past the largest safe integer', () => {
    const state: AccountState = {
      status: 'open',
      owner: 'ada',
      customerId: null,
      customer: null,
      balance: Number.MAX_SAFE_INTEGER - 5,
      openedAt: null,
      updatedAt: null,
    };
    expect(() => decide({ type: 'Deposit', accountId: id, amount: 6 }, state)).toThrow(InvalidAmountError);
    expect(decide({ type: 'Deposit', accountId: id, amount: 5 }, state)).toEqual([deposited(5)]);
  });

  it('leaves optional reason and reference out of the event when not given', () => {
    const [event] = decide(
      { type: 'Deposit', accountId: id, amount: 5, reason: undefined, reference: undefined },
      fold([opened()]),
    );
    expect(Object.keys(event!.data)).toEqual(['amount']);
  });
});

describe('account evolve', () => {
  const at = (iso: string) => ({ metadata: { timestamp: new Date(iso) } });
  const history: RecordedAccountEvent[] = [
    { ...opened(100), ...at('2024-01-01T10:00:00Z') },
    { ...deposited(50), ...at('2024-01-02T10:00:00Z') },
    { ...withdrawn(30), ...at('2024-01-03T10:00:00Z') },
    { ...deposited(5, { reason: 'refund', reference: 'o-9' }), ...at('2024-01-04T10:00:00Z') },
  ];

  it('folds the history into balance, owner and timestamps', () => {
    expect(fold(history)).toEqual({
      status: 'open',
      owner: 'ada',
      customerId: null,
      customer: null,
      balance: 125,
      openedAt: '2024-01-01T10:00:00.000Z',
      updatedAt: '2024-01-04T10:00:00.000Z',
    });
  });

  it('starts from an account that is not opened', () => {
    expect(initialState()).toEqual({ status: 'not_opened' });
    expect(fold([])).toEqual({ status: 'not_opened' });
  });

  it('time travels by folding a prefix of the history', () => {
    const balances = [1, 2, 3, 4].map((n) => {
      const state = fold(history.slice(0, n));
      return state.status === 'open' ? [state.balance, state.updatedAt] : null;
    });
    expect(balances).toEqual([
      [100, '2024-01-01T10:00:00.000Z'],
      [150, '2024-01-02T10:00:00.000Z'],
      [120, '2024-01-03T10:00:00.000Z'],
      [125, '2024-01-04T10:00:00.000Z'],
    ]);
  });

  it('ignores event types it does not know', () => {
    const state = fold([opened(10)]);
    expect(evolve(state, { type: 'SomethingNew', data: {} } as unknown as AccountEvent)).toBe(state);
  });

  it('produces state that survives a JSON round trip unchanged (safe to snapshot)', () => {
    const state = fold(history);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});
