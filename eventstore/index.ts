export { createEventStore, ensureEventStoreIndexes, type EventStore, type EventStoreOptions } from './store';
export { WrongExpectedVersionError, DuplicateEventIdError, InvalidAppendError, EventStoreCorruptionError } from './errors';
export { deterministicEventId } from './metadata';
export { MAX_EVENTS_PER_APPEND, GAP_STREAM, GAP_TYPE, toStored, type EventDocument } from './collections';
export type { AppendFaults, ReservedBlock } from './append';
export type * from './types';
export { pauseAfterEmptyPoll, rangesIndexed } from './server-seam';
