/** Business rule failures: typed, and never worth retrying as they are. */
export abstract class AccountDomainError extends Error {
  abstract readonly code: string;
}

export class InsufficientFundsError extends AccountDomainError {
  readonly code = 'insufficient_funds';
  constructor(
    readonly accountId: string,
    readonly balance: number,
    readonly amount: number,
  ) {
    super(`Account ${accountId} has ${balance} cents; cannot withdraw ${amount}`);
    this.name = 'InsufficientFundsError';
  }
}

export class AccountNotFoundError extends AccountDomainError {
  readonly code = 'account_not_found';
  constructor(readonly accountId: string) {
    super(`Account ${accountId} not found`);
    this.name = 'AccountNotFoundError';
  }
}

export class InvalidAmountError extends AccountDomainError {
  readonly code = 'invalid_amount';
  constructor(
    readonly amount: unknown,
    reason: string,
  ) {
    super(`Invalid amount ${String(amount)}: ${reason}`);
    this.name = 'InvalidAmountError';
  }
}

export class AccountAlreadyExistsError extends AccountDomainError {
  readonly code = 'account_already_exists';
  constructor(readonly accountId: string) {
    super(`Account ${accountId} already exists`);
    this.name = 'AccountAlreadyExistsError';
  }
}
