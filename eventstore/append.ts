import pRetry from 'p-retry';
import { randomUUID } from 'node:crypto';
import {
  causeOfRefusal,
  completeBatch,
  counterIds,
  duplicateKey,
  fillGaps,
  insertMembers,
  MAX_EVENTS_PER_APPEND,
  positionsBetween,
  toStored,
  type BatchInfo,
  type Collections,
  type DuplicateOn,
  type EventDocument,
  type GapCause,
} from './collections';
import { DuplicateEventIdError, InvalidAppendError, WrongExpectedVersionError } from './errors';
import { settleFailedInsert } from './failed-insert';
import { releasePositions } from './release';
import {
  forgetVersion,
  headProjection,
  knownHead,
  lastVersionByProbes,
  likelyRepeat,
  rememberCommitted,
  rememberVersion,
  type StreamHead,
} from './lookups';
import type { AppendMetadata, AppendOptions, AppendResult, EventMetadata, ExpectedVersion, NewEvent } from './types';

/** Position conflicts (a sealer took a slow writer's slot) and `any` races are retried this often. */
const MAX_ATTEMPTS = 100;

export interface ReservedBlock {
  first: number;
  last: number;
  reservedAt: Date;
}

/** Fault injection for tests: a hook that throws stops the append there, as a crash would. */
export interface AppendFaults {
  afterReserve?(step: { streamId: string; block: ReservedBlock }): Promise<void> | void;
  afterFirstEvent?(step: { streamId: string; block: ReservedBlock }): Promise<void> | void;
}

/** Metadata the caller's context supplies to every append (e.g. the Temporal activity that writes). */
export type AmbientMetadata = () => Partial<Pick<AppendMetadata, 'workflowId' | 'runId' | 'activityId'>>;

/** An event as it will be written: the id is the caller's or a fresh UUID. */
export interface Prepared {
  type: string;
  data: unknown;
  eventId: string;
}

/** A validated append, ready to be written alone or in a group (./group-commit.ts). */
export interface PreparedAppend {
  streamId: string;
  streamType: string;
  prepared: Prepared[];
  expected: ExpectedVersion;
  shared: Omit<EventMetadata, 'eventId' | 'timestamp'>;
  /** The caller chose the event ids, so the append may be a repeat of an earlier one. */
  callerIds: boolean;
}

/** Validates an append and fixes its ids and shared metadata; throws InvalidAppendError before any I/O. */
export function prepareAppend(
  streamId: string,
  newEvents: NewEvent[],
  options: AppendOptions,
  ambient: AmbientMetadata = () => ({}),
): PreparedAppend {
  validate(streamId, newEvents, options);
  const prepared = newEvents.map((e) => ({ type: e.type, data: e.data, eventId: e.eventId ?? randomUUID() }));
  const given = options.metadata ?? {};
  return {
    streamId,
    streamType: options.streamType,
    prepared,
    expected: options.expectedVersion ?? 'any',
    shared: {
      correlationId: given.correlationId ?? prepared[0]!.eventId,
      causationId: given.causationId ?? null,
      ...ambient(),
      ...definedOnly({ workflowId: given.workflowId, runId: given.runId, activityId: given.activityId }),
    },
    callerIds: newEvents.some((e) => e.eventId !== undefined),
  };
}

/** One append written on its own (no group commit); fault injection runs on this path. */
export async function append(
  c: Collections,
  streamId: string,
  newEvents: NewEvent[],
  options: AppendOptions,
  faults: AppendFaults = {},
  ambient: AmbientMetadata = () => ({}),
): Promise<AppendResult> {
  return appendAlone(c, prepareAppend(streamId, newEvents, options, ambient), faults);
}

export async function appendAlone(
  c: Collections,
  request: PreparedAppend,
  faults: AppendFaults = {},
): Promise<AppendResult> {
  const { streamId, prepared } = request;
  const ids = prepared.map((p) => p.eventId);

  // A repeat of an earlier append (a retried activity) returns what the first one wrote,
  // whatever the stream's version is now. Only ids the caller chose can repeat (ids minted here are
  // fresh UUIDs), and a single event's repeat is refused by the unique indexes on insert and
  // answered then; so the lookup is made first only for a batch (whose first event must not go in
  // when a later one's id is taken) and for ids this process saw committed (most likely a repeat).
  const idsLookedUp = lookUpIdsFirst(request, likelyRepeat(c.lookups, ids));
  if (idsLookedUp) {
    const replay = await originalResult(c, streamId, ids);
    if (replay) return replay;
  }

  // Only a refused insert is tried again (at once: the race it lost is already over); anything
  // else, a version conflict included, ends the append.
  return pRetry(
    async (attempt) => {
      try {
        return await attemptAppend(c, request, faults, ids, idsLookedUp, attempt);
      } catch (err) {
        throw err instanceof RefusedInsert ? err : new pRetry.AbortError(err as Error);
      }
    },
    { retries: MAX_ATTEMPTS - 1, minTimeout: 0, maxTimeout: 0 },
  );
}

/**
 * Whether an append's ids are looked up before it is written. A single event's need not be: if it
 * repeats an earlier append, the unique eventId index (or the version index, where the original
 * holds its version) refuses its insert, and it is answered from the log then; so a first append
 * pays no lookup. Unless this process saw one of its ids committed (`suspect`): then it is most
 * likely a repeat, and the lookup costs less than the positions. A multi-event append is looked up
 * first: it must not write its first event (the batch's commit point) when a later one's id is taken.
 */
export function lookUpIdsFirst(request: PreparedAppend, suspect: boolean): boolean {
  return request.callerIds && (request.prepared.length > 1 || suspect);
}

/** The insert lost a race for its stream version or its positions, and nothing of it was written. */
class RefusedInsert extends Error {}

async function attemptAppend(
  c: Collections,
  request: PreparedAppend,
  faults: AppendFaults,
  ids: string[],
  idsLookedUp: boolean,
  attempt: number,
): Promise<AppendResult> {
  const { streamId, prepared, expected, shared } = request;
  const head =
    knownHead(c.lookups, streamId, expected) ??
    (await streamHead(c, streamId, typeof expected === 'number' ? expected : undefined));
  if (!matchesExpected(expected, head.version)) {
    // A single event whose ids were not looked up first may repeat an earlier append: the original result.
    const replayed = request.callerIds && !idsLookedUp ? await originalResult(c, streamId, ids) : null;
    if (replayed) return replayed;
    throw new WrongExpectedVersionError(streamId, expected, head.version);
  }
  const block = await reservePositions(c, prepared.length);
  // Never earlier than the stream's last event, so "as of a time" is always a prefix of the stream.
  const timestamp = head.timestamp && head.timestamp > block.reservedAt ? head.timestamp : block.reservedAt;
  const docs = documents(streamId, request.streamType, prepared, head.version, block, timestamp, shared);
  await faults.afterReserve?.({ streamId, block });

  // One ordered insert of the whole batch when nothing needs to run between its first event and
  // the rest (fault injection does); the first event stays the commit point either way.
  const together = docs.length > 1 && !faults.afterFirstEvent;
  let outcome: 'ok' | DuplicateOn;
  try {
    outcome = together ? await insertBatch(c, docs) : await insertFirst(c, docs[0]!);
  } catch (err) {
    // Not refused by an index: the positions are settled at once, as in a group (./failed-insert.ts),
    // and the append is committed iff its first event got in. If settling fails too (MongoDB
    // unreachable), the append fails with the insert's error and the hole sealer settles them later.
    const [done] = await settleFailedInsert(c, [docs], []).catch((): never => {
      throw err;
    });
    if (!done) throw err;
    return committed(c, docs, request.callerIds);
  }
  if (outcome === 'ok') {
    // The first event is the commit point: from here the batch is complete for everyone,
    // since anyone who finds it half written finishes it from the copy it carries.
    await faults.afterFirstEvent?.({ streamId, block });
    if (docs.length > 1 && !together) await insertMembers(c, docs.slice(1));
    return committed(c, docs, request.callerIds);
  }

  // Refused. Look for a concurrent twin first (it may even be this very append, if the driver
  // retried the insert after a lost acknowledgement), then give the unused positions back.
  let replayed: AppendResult | null = null;
  let cause = causeOfRefusal(outcome);
  try {
    replayed = await originalResult(c, streamId, ids);
  } catch (err) {
    if (err instanceof DuplicateEventIdError) cause = 'repeat';
    throw err;
  } finally {
    // Nothing of this attempt was written: the block goes back to the counter if nothing was
    // reserved after it, else it is burned. A slot taken by the sealer means this writer is late.
    await releasePositions(
      c,
      block,
      positionsBetween(block.first, block.last),
      replayed ? 'repeat' : cause,
      outcome !== 'position',
    );
  }
  if (replayed) return replayed;
  if (outcome === 'stream_version') forgetVersion(c.lookups, streamId);
  if (outcome === 'stream_version' && expected !== 'any') {
    throw new WrongExpectedVersionError(streamId, expected, (await streamHead(c, streamId)).version);
  }
  throw new RefusedInsert(
    `Append to ${streamId} refused on ${outcome} in attempt ${attempt} of ${MAX_ATTEMPTS}; gave up after the last`,
  );
}

/**
 * The stream's current version and last timestamp. A multi-event append whose first event is in
 * but not the rest is finished first, so the next append lands after the whole batch and
 * positions keep following versions within a stream.
 */
export async function streamHead(c: Collections, streamId: string, expectedVersion?: number): Promise<StreamHead> {
  const last = c.lookups.rangesIndexed
    ? await c.events.findOne({ streamId }, { sort: { version: -1 }, projection: headProjection })
    : // The caller's expected version is the best first guess; then what this process saw last.
      await lastVersionByProbes(c, streamId, expectedVersion || c.lookups.hints.get(streamId)?.version);
  if (!last) return { version: 0, timestamp: null, position: 0 };
  if (last.batch && last.version < last.batch.lastVersion) {
    await completeBatch(c, streamId, last.batch.firstVersion);
    return { version: last.batch.lastVersion, timestamp: last.metadata.timestamp, position: last.batch.lastPosition };
  }
  return { version: last.version, timestamp: last.metadata.timestamp, position: last.position };
}

/**
 * Reserves `n` contiguous positions with one atomic increment. The block is computed from the
 * pre-image, which is exact on every server (./server-seam.ts, 3).
 */
export async function reservePositions(c: Collections, n: number): Promise<ReservedBlock> {
  // Two first-ever reservations may both try to create the counter; the loser just goes again.
  return pRetry(
    async () => {
      try {
        const before = await c.counters.findOneAndUpdate(
          { _id: counterIds.position },
          { $inc: { position: n }, $max: { reservedAt: new Date() } },
          { upsert: true, returnDocument: 'before' },
        );
        const first = (before?.position ?? 0) + 1;
        // Read after the reservation, so an event's timestamp is never earlier than the moment any
        // lower position was handed out (what sealGaps relies on to date a hole).
        return { first, last: first + n - 1, reservedAt: new Date() };
      } catch (err) {
        throw duplicateKey(err) ? err : new pRetry.AbortError(err as Error);
      }
    },
    { retries: 2, minTimeout: 0, maxTimeout: 0 },
  );
}

/** Gives a whole reserved block back: every position of it becomes a burned marker (where nothing is written yet). */
export function burnBlock(c: Collections, block: ReservedBlock, cause: GapCause): Promise<number[]> {
  return fillGaps(c, positionsBetween(block.first, block.last), 'burned', cause);
}

/**
 * The result of an append whose documents are all written; the stream's new head is remembered,
 * and so are ids the caller chose, which only a repeat can bring again.
 */
export function committed(c: Collections, docs: EventDocument[], callerIds: boolean): AppendResult {
  const last = docs.at(-1)!;
  rememberVersion(c.lookups, last.streamId, last.version, last.metadata.timestamp);
  if (callerIds)
    rememberCommitted(
      c.lookups,
      docs.map((d) => d.metadata.eventId),
    );
  return {
    nextExpectedVersion: last.version,
    firstPosition: docs[0]!.position,
    lastPosition: last.position,
    events: docs.map(toStored),
  };
}

/**
 * The result of the earlier append these event ids belong to, or null if none of them exists.
 * Some but not all existing is an error: the call is neither new nor a repeat.
 */
export async function originalResult(c: Collections, streamId: string, ids: string[]): Promise<AppendResult | null> {
  let found = await findByEventIds(c, ids);
  if (found.length === 0) return null;
  if (found.length < ids.length) {
    // The first event of a multi-event append stands for the rest until they are written.
    const firsts = found.filter(
      (d) => d.batch && d.version === d.batch.firstVersion && d.batch.lastVersion > d.version,
    );
    for (const first of firsts) await completeBatch(c, first.streamId, first.version);
    if (firsts.length) found = await findByEventIds(c, ids);
  }
  const existing = found.map((d) => d.metadata.eventId);
  const missing = ids.filter((id) => !existing.includes(id));
  const foreign = found.find((d) => d.streamId !== streamId);
  if (foreign) {
    throw new DuplicateEventIdError(
      streamId,
      existing,
      missing,
      `event id ${foreign.metadata.eventId} already belongs to stream ${foreign.streamId}`,
    );
  }
  if (missing.length) {
    throw new DuplicateEventIdError(
      streamId,
      existing,
      missing,
      `${existing.length} of its ${ids.length} event ids already exist (${existing.join(', ')}) and ${missing.length} do not (${missing.join(', ')}); ` +
        'an append is either new or an exact repeat of an earlier one',
    );
  }
  found.sort((a, b) => a.version - b.version);
  rememberCommitted(c.lookups, ids);
  return {
    nextExpectedVersion: found.at(-1)!.version,
    firstPosition: found[0]!.position,
    lastPosition: found.at(-1)!.position,
    events: found.map(toStored),
  };
}

export async function findByEventIds(c: Collections, ids: string[]): Promise<EventDocument[]> {
  return c.events.find({ 'metadata.eventId': { $in: ids } }, { projection: { _id: 0, 'batch.pending': 0 } }).toArray();
}

async function insertFirst(c: Collections, doc: EventDocument): Promise<'ok' | DuplicateOn> {
  try {
    await c.events.insertOne({ ...doc });
    return 'ok';
  } catch (err) {
    const dup = duplicateKey(err);
    if (!dup) throw err;
    return dup.on;
  }
}

/**
 * Inserts a whole batch in one ordered insertMany. Refused at its first event: nothing was
 * written, as with insertFirst. Refused later: the batch is committed, and the rest is finished
 * the way anyone finishing a half-written batch does (a duplicate of the same event counts as done).
 */
async function insertBatch(c: Collections, docs: EventDocument[]): Promise<'ok' | DuplicateOn> {
  try {
    await c.events.insertMany(
      docs.map((d) => ({ ...d })),
      { ordered: true },
    );
    return 'ok';
  } catch (err) {
    const dup = duplicateKey(err);
    if (!dup) throw err;
    if (dup.at === 0) return dup.on;
    await insertMembers(c, docs.slice(dup.at));
    return 'ok';
  }
}

/** Whether a stream at version `actual` is where the append expects it. */
export function matchesExpected(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}

export function documents(
  streamId: string,
  streamType: string,
  prepared: Prepared[],
  currentVersion: number,
  block: ReservedBlock,
  timestamp: Date,
  shared: Omit<EventMetadata, 'eventId' | 'timestamp'>,
): EventDocument[] {
  const n = prepared.length;
  const batch: BatchInfo | undefined =
    n > 1
      ? {
          firstVersion: currentVersion + 1,
          lastVersion: currentVersion + n,
          firstPosition: block.first,
          lastPosition: block.last,
        }
      : undefined;
  const docs: EventDocument[] = prepared.map((p, i) => ({
    streamId,
    streamType,
    version: currentVersion + 1 + i,
    position: block.first + i,
    type: p.type,
    data: p.data,
    metadata: { eventId: p.eventId, timestamp, ...shared },
    ...(batch ? { batch } : {}),
  }));
  if (batch)
    docs[0]!.batch = {
      ...batch,
      pending: docs.slice(1).map((d) => ({ type: d.type, data: d.data, metadata: d.metadata })),
    };
  return docs;
}

function validate(streamId: string, events: NewEvent[], options: AppendOptions): void {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 200)
    throw new InvalidAppendError('streamId must be a string of 1 to 200 characters');
  if (streamId.startsWith('$'))
    throw new InvalidAppendError(`stream ids starting with "$" are reserved (got ${streamId})`);
  if (
    typeof options?.streamType !== 'string' ||
    options.streamType.length === 0 ||
    options.streamType.startsWith('$')
  ) {
    throw new InvalidAppendError('streamType must be a non-empty string not starting with "$"');
  }
  const expected = options.expectedVersion ?? 'any';
  if (expected !== 'any' && expected !== 'no_stream' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new InvalidAppendError(
      `expectedVersion must be a non-negative integer, "no_stream" or "any" (got ${String(expected)})`,
    );
  }
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidAppendError(`an append takes 1 to ${MAX_EVENTS_PER_APPEND} events`);
  }
  const seen = new Set<string>();
  for (const [i, e] of events.entries()) {
    if (typeof e?.type !== 'string' || e.type.length === 0 || e.type.startsWith('$'))
      throw new InvalidAppendError(`events[${i}].type must be a non-empty string not starting with "$"`);
    if (e.data === undefined) throw new InvalidAppendError(`events[${i}].data is missing`);
    if (e.eventId !== undefined) {
      if (
        typeof e.eventId !== 'string' ||
        e.eventId.length === 0 ||
        e.eventId.length > 200 ||
        e.eventId.startsWith('$')
      ) {
        throw new InvalidAppendError(
          `events[${i}].eventId must be a string of 1 to 200 characters not starting with "$"`,
        );
      }
      if (seen.has(e.eventId)) throw new InvalidAppendError(`event id ${e.eventId} appears twice in one append`);
      seen.add(e.eventId);
    }
  }
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
