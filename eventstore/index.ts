export { createEventStore, ensureEventStoreIndexes, type EventStore, type EventStoreOptions } from './store';
export {
  WrongExpectedVersionError,
  DuplicateEventIdError,
  InvalidAppendError,
  EventStoreCorruptionError,
  LeaderNotWrittenError,
} from './errors';
export { deterministicEventId } from './metadata';
export {
  MAX_EVENTS_PER_APPEND,
  GAP_STREAM,
  GAP_TYPE,
  GAP_CAUSES,
  toStored,
  type EventDocument,
  type GapCause,
  type GapData,
} from './collections';
export type { AppendFaults, ReservedBlock } from './append';
export type * from './types';
export { pauseAfterEmptyPoll, rangesIndexed } from './server-seam';
