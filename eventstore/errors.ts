import type { ExpectedVersion } from './types';

/** The stream was not where the caller expected it: nothing was written. */
export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${streamId} is at version ${actual}, expected ${expected === 'no_stream' ? 'no stream' : expected}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/**
 * Some event ids of an append already exist but not all of them (or they belong to another
 * stream): the append is neither new nor a retry of an earlier one, so nothing was written.
 */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly existingEventIds: string[],
    readonly newEventIds: string[],
    reason: string,
  ) {
    super(`Append to ${streamId} refused: ${reason}`);
    this.name = 'DuplicateEventIdError';
  }
}

/** A programming error in the call (bad stream id, empty batch…): nothing was written. */
export class InvalidAppendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}

/** The store found a state its own protocol should make impossible. Never retried silently. */
export class EventStoreCorruptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreCorruptionError';
  }
}

/** An append that was to follow another was not written, because the one it follows was not. */
export class LeaderNotWrittenError extends Error {
  constructor(
    readonly streamId: string,
    readonly leaderStreamId: string,
    readonly leaderError: unknown,
  ) {
    super(`Append to ${streamId} not written: the append to ${leaderStreamId} it follows was not written`);
    this.name = 'LeaderNotWrittenError';
  }
}
