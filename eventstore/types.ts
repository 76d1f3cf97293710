/** What the store records about every event besides its data. */
export interface EventMetadata {
  /** Unique across the store; a repeated id makes the append a no-op (see README). */
  eventId: string;
  /** Stamped by the store when the append reserves its positions; never decreases within a stream. */
  timestamp: Date;
  correlationId: string;
  causationId: string | null;
  /** Present when the event was written from a Temporal activity. */
  workflowId?: string;
  runId?: string;
  activityId?: string;
}

/** Metadata a caller may set for a whole append; the rest is filled in by the store. */
export interface AppendMetadata {
  correlationId?: string;
  causationId?: string | null;
  workflowId?: string;
  runId?: string;
  activityId?: string;
}

export interface NewEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
  /** Pass a deterministic id (e.g. from `deterministicEventId`) to make retries harmless. Random when absent. */
  eventId?: string;
}

export interface StoredEvent<T extends string = string, D = unknown> {
  streamId: string;
  streamType: string;
  /** 1, 2, 3… within the stream. */
  version: number;
  /** Global, strictly increasing, gap-free once gap markers are counted. */
  position: number;
  type: T;
  data: D;
  metadata: EventMetadata;
}

/**
 * A number: the stream must be exactly at that version (0 = empty).
 * `no_stream`: the stream must not exist yet. `any`: append wherever the stream is.
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendOptions {
  /** Defaults to `any`. */
  expectedVersion?: ExpectedVersion;
  streamType: string;
  metadata?: AppendMetadata;
}

/** One append: its stream, its events and its options. */
export interface AppendRequest {
  streamId: string;
  events: NewEvent[];
  options: AppendOptions;
}

export interface AppendResult {
  /** The stream's version after this append: pass it as `expectedVersion` for the next one. */
  nextExpectedVersion: number;
  firstPosition: number;
  lastPosition: number;
  events: StoredEvent[];
}

export interface ReadStreamOptions {
  fromVersion?: number;
  toVersion?: number;
  /** Only events recorded at or before this instant. */
  until?: Date;
}

export interface ReadAllOptions {
  /** Defaults to 1. */
  fromPosition?: number;
  /** How many positions to look at (events and gap markers). Defaults to 1000. */
  limit?: number;
  /**
   * When reading stops at a hole that has been open longer than this, seal it (see `sealGaps`)
   * and read again. Leave unset to only report the hole.
   */
  sealHolesOlderThanMs?: number;
}

export interface ReadAllResult {
  /** Real events in position order, gap markers left out. */
  events: StoredEvent[];
  /** Positions passed over because they hold a gap marker. */
  gaps: number[];
  /** Where the next read starts. Everything below it has been seen (as an event or a gap). */
  nextPosition: number;
  /**
   * The first missing position below the head, if reading stopped there: an append is in flight
   * (or died after reserving). Later positions may already be written; they are not returned
   * until the hole is filled, so a reader never skips an event that is still to come.
   */
  hole: number | null;
  /** The highest position reserved so far. */
  headPosition: number;
}

export interface SealGapsOptions {
  /** Grace period: positions reserved more recently than this are left alone. */
  olderThanMs: number;
}

export interface SealGapsResult {
  /** Positions that now hold a gap marker written by this call. */
  sealed: number[];
  /** Positions filled by finishing a multi-event append whose first event was already committed. */
  completed: number[];
  /** Holes still too young to seal. */
  tooYoung: number[];
  headPosition: number;
}

/** The decider's read side: enough to rebuild state from events. */
export interface Evolver<S, E extends StoredEvent = StoredEvent> {
  initialState(): S;
  evolve(state: S, event: E): S;
  /**
   * Bump when the state's shape changes: snapshots of another schema version are ignored.
   * The state must survive a BSON round trip unchanged (plain objects, no undefined, no class
   * instances); `toSnapshot` / `fromSnapshot` convert when it does not.
   */
  snapshotSchemaVersion?: number;
  toSnapshot?(state: S): unknown;
  fromSnapshot?(stored: unknown): S;
}

export interface AggregateOptions<S = unknown> {
  /** Write a snapshot when at least this many events were folded on top of the last one. Off when unset. */
  snapshotEvery?: number;
  /** Read snapshots at all (the benchmark turns this off). Defaults to true. */
  useSnapshots?: boolean;
  until?: Date;
  toVersion?: number;
  /**
   * A fold of this stream the caller already holds (an earlier result): only the events after its
   * version are read, and the snapshot is not. Events never change, so it is exact however old it
   * is. Ignored with `until` or `toVersion`. The result's `snapshotVersion` is then the latest
   * snapshot along the chain of folds (one this read wrote, or the held fold's).
   */
  from?: AggregateResult<S>;
}

export interface AggregateResult<S> {
  state: S;
  /** Version of the last event folded (0 when the stream is empty or did not exist yet). */
  version: number;
  /** Global position of that event, or null for an empty stream. */
  position: number | null;
  /** Timestamp of that event, or null. */
  timestamp: Date | null;
  /** The snapshot the fold started from, if any. */
  snapshotVersion: number | null;
  eventsFolded: number;
}
