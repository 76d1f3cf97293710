import { LRUCache } from 'lru-cache';
import type { SagaEvent, SagaStreamType } from '../domain/orders';
import {
  WrongExpectedVersionError,
  type AggregateResult,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type Evolver,
} from '../eventstore';
import type { EventLog } from './support';

/** What a service whose stream is its state needs from the store: conditional appends and folds. */
export interface StreamStore extends EventLog {
  aggregateStream: EventStore['aggregateStream'];
}

/** A stream's state as of its last folded event (version 0: the stream is empty). */
export type Fold<S> = AggregateResult<S>;

/** How many streams' latest folds a process keeps, per service. */
const MAX_REMEMBERED = 10_000;

/**
 * One service's streams (`<type>-<id>`), each the state of one aggregate: read as a fold of its
 * events, changed by one append that expects the version the decision was made on. A process
 * keeps the latest fold of recent streams; events never change, so a kept fold is always a true
 * prefix of its stream, and loading again reads only the events after it (one read).
 */
export function streamStates<S>(store: StreamStore, type: SagaStreamType, evolver: Evolver<S>) {
  const folds = new LRUCache<string, Fold<S>>({ max: MAX_REMEMBERED });
  const streamOf = (id: string) => `${type}-${id}`;

  async function load(id: string): Promise<Fold<S>> {
    const streamId = streamOf(id);
    // These streams hold a handful of events and are never snapshotted: no snapshot read.
    const fold = await store.aggregateStream(streamId, evolver, { from: folds.get(streamId), useSnapshots: false });
    folds.set(streamId, fold);
    return fold;
  }

  return {
    /** The fold this process holds, which may be behind the stream: a decision on it is checked by the append. */
    known(id: string): Fold<S> | undefined {
      return folds.get(streamOf(id));
    },

    /** The stream's state now. */
    load,

    /**
     * Appends what was decided on `fold`, if the stream is still at its version: the new fold, or
     * null when the stream moved on (decide again on a fresh load). An append whose event ids are
     * already in the log (a retried attempt whose append landed) is answered by the store as the
     * first one was written, wherever the stream is now: the fold of the stream is then read again
     * (unless the repeat sits right after the fold, where it is the same decision as this one).
     */
    async append(
      id: string,
      fold: Fold<S>,
      events: Array<SagaEvent & { eventId: string }>,
      correlationId: string,
    ): Promise<Fold<S> | null> {
      const r = request(id, fold, events, correlationId);
      return accept(id, fold, store.append(r.streamId, r.events, r.options));
    },

    /** The append `append` would make, for a caller that writes it together with another (`appendPair`). */
    request,

    /** What `append` answers, once the append made from `request` is settled. */
    accept,
  };

  function request(
    id: string,
    fold: Fold<S>,
    events: Array<SagaEvent & { eventId: string }>,
    correlationId: string,
  ): AppendRequest {
    return {
      streamId: streamOf(id),
      events: events.map((e) => ({ type: e.type, data: e.data, eventId: e.eventId })),
      options: { streamType: type, expectedVersion: fold.version, metadata: { correlationId } },
    };
  }

  async function accept(id: string, fold: Fold<S>, written: Promise<AppendResult>): Promise<Fold<S> | null> {
    const streamId = streamOf(id);
    try {
      const result = await written;
      if (result.events[0]!.version !== fold.version + 1) return load(id);
      const state = result.events.reduce((s, e) => evolver.evolve(s, e), fold.state);
      const last = result.events.at(-1)!;
      const next: Fold<S> = {
        ...fold,
        state,
        version: result.nextExpectedVersion,
        position: result.lastPosition,
        timestamp: last.metadata.timestamp,
        eventsFolded: 0,
      };
      folds.set(streamId, next);
      return next;
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError)) throw err;
      folds.delete(streamId);
      return null;
    }
  }
}

/** The fold of a stream that holds no events yet (what a process assumes of a stream it has not seen). */
export function emptyFold<S>(evolver: Evolver<S>): Fold<S> {
  return {
    state: evolver.initialState(),
    version: 0,
    position: null,
    timestamp: null,
    snapshotVersion: null,
    eventsFolded: 0,
  };
}
