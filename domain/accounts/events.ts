/**
 * Money is in integer cents. One operation moves at most MAX_AMOUNT (ten billion cents, a hundred
 * million in currency units), which keeps every balance far inside Number.MAX_SAFE_INTEGER for
 * any realistic number of deposits; the decider still refuses a deposit that would cross it.
 */
export const MAX_AMOUNT = 10_000_000_000;

/** Why money came in or went out; a refund is a deposit with reason `refund` and the order as reference. */
export interface Movement {
  amount: number;
  reason?: string;
  /** The business object the movement belongs to, e.g. the order id. */
  reference?: string;
}

/**
 * `customerId` names the account's holder: the one customer who may see it and pay with it. It is
 * personal data, so it is recorded sealed with the holder's key, beside `customer`, the holder's
 * pseudonym, which ownership checks and filters match on. Accounts opened before holders existed
 * have neither, and only operators may use them.
 */
export type AccountOpened = {
  type: 'AccountOpened';
  data: { owner: string; initial: number; customerId?: string; customer?: string };
};
export type Deposited = { type: 'Deposited'; data: Movement };
export type Withdrawn = { type: 'Withdrawn'; data: Movement };
export type AccountEvent = AccountOpened | Deposited | Withdrawn;

/** An event as the fold sees it: read from the store it also brings when it was recorded. */
export type RecordedAccountEvent = AccountEvent & { metadata?: { timestamp?: Date | string } };

export type OpenAccount = {
  type: 'OpenAccount';
  accountId: string;
  owner: string;
  customerId?: string;
  customer?: string;
  initialDeposit: number;
};
export type Deposit = { type: 'Deposit'; accountId: string } & Movement;
export type Withdraw = { type: 'Withdraw'; accountId: string } & Movement;
export type AccountCommand = OpenAccount | Deposit | Withdraw;

/**
 * Plain data only (ISO strings, no Dates), so snapshots store it as is and read it back unchanged.
 */
export type AccountState =
  | { status: 'not_opened' }
  | {
      status: 'open';
      owner: string;
      customerId: string | null;
      customer: string | null;
      balance: number;
      openedAt: string | null;
      updatedAt: string | null;
    };
