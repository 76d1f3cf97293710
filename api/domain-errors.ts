import {
  AccountAlreadyExistsError,
  AccountNotFoundError,
  InsufficientFundsError,
  InvalidAmountError,
} from '../domain/accounts';
import { DuplicateEventIdError, WrongExpectedVersionError } from '../eventstore';
import { HttpError } from './errors';

/**
 * The one place domain and event-store errors become HTTP answers: business rules are 422,
 * a stale If-Match is 412 (409 when no precondition was given and retries ran out).
 * Anything else is passed on unchanged to the app's error handler.
 */
export function domainErrorToHttp(err: unknown, context: { preconditionGiven?: boolean } = {}): unknown {
  if (err instanceof InsufficientFundsError) {
    return new HttpError(422, 'insufficient_funds', err.message, {
      accountId: err.accountId,
      balance: err.balance,
      amount: err.amount,
    });
  }
  if (err instanceof InvalidAmountError) return new HttpError(422, 'invalid_amount', err.message);
  if (err instanceof AccountNotFoundError)
    return new HttpError(404, 'not_found', err.message, { accountId: err.accountId });
  if (err instanceof AccountAlreadyExistsError)
    return new HttpError(409, 'account_already_exists', err.message, { accountId: err.accountId });
  if (err instanceof WrongExpectedVersionError) {
    return context.preconditionGiven
      ? new HttpError(
          412,
          'precondition_failed',
          `If-Match "${err.expected}" is stale: the resource is at version ${err.actual}`,
          {
            expected: err.expected,
            actual: err.actual,
          },
        )
      : new HttpError(409, 'concurrency_conflict', 'Too many concurrent changes; try again', { actual: err.actual });
  }
  if (err instanceof DuplicateEventIdError) return new HttpError(409, 'duplicate_event', err.message);
  return err;
}
