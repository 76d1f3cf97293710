import { LRUCache } from 'lru-cache';
import type { Db } from 'mongodb';
import {
  asSagaEvent,
  catchUpWithDocument,
  evolve,
  initialState,
  type LegacyOrderDocument,
  type OrderEvent,
  type OrderState,
} from '../domain/orders';
import {
  deterministicEventId,
  DuplicateEventIdError,
  WrongExpectedVersionError,
  type AggregateResult,
  type EventStore,
  type Evolver,
  type StoredEvent,
} from '../eventstore';
import type { EventLog, OrderContext } from './support';

/** What the Order service needs of the store: conditional appends and folds of a stream. */
export interface OrderStreamStore extends EventLog {
  aggregateStream: EventStore['aggregateStream'];
}

/** The order as of its stream's version `version` (0: nothing recorded yet). */
export type OrderFold = AggregateResult<OrderState>;

/**
 * What a decision returns: the events to record, each with the part of its id that tells it apart
 * within the order (its type unless said otherwise), so a retried attempt records it under the same id.
 */
export type Decided = Array<OrderEvent & { idPart?: string }>;

/** Decides on the order as it stands; throws a business failure when a rule refuses. */
export type Decision = (state: OrderState) => Decided | Promise<Decided>;

const idPartOf = (event: Decided[number]): string => event.idPart ?? event.type;

const orderEvolver: Evolver<OrderState> = {
  initialState,
  evolve: (state, stored) => evolve(state, asSagaEvent(stored) as OrderEvent),
};

/** How many orders' folds a process keeps: the sagas it is running, with room to spare. */
const MAX_REMEMBERED = 10_000;
/** A step that keeps losing the race for its order's next version gives up and is retried as a technical failure. */
const MAX_CONFLICTS = 10;

/** The documents orders were kept in before their streams were their state (read, never written). */
export const legacyOrderDocuments = (db: Db) => db.collection<LegacyOrderDocument>('orders');

/** Where the order stands: the stream's fold, plus what a document of the previous version says that the stream does not yet. */
interface Loaded {
  fold: OrderFold;
  catchUp: OrderEvent[];
  /** Read from the stream during this step (not taken from the process's memory). */
  fresh: boolean;
}

/**
 * The order's stream is its state. Each step decides on the fold of the stream and appends what it
 * decided in one append that expects the version it decided on: a state change and its event are
 * one write, so no crash can split them. The process keeps the latest fold of recent orders, so a
 * step usually reads nothing; when another writer got there first, the append is refused, and the
 * events after the kept fold are read and the step decides again. A fold from memory is never
 * trusted to refuse or to find nothing to do: that is checked against the stream first.
 */
export function createOrderStream({ db, events }: { db: Db; events: OrderStreamStore }) {
  const folds = new LRUCache<string, OrderFold>({ max: MAX_REMEMBERED });
  const legacy = legacyOrderDocuments(db);
  const streamOf = (orderId: string) => `order-${orderId}`;
  const emptyFold = (): OrderFold => ({
    state: initialState(),
    version: 0,
    position: null,
    timestamp: null,
    snapshotVersion: null,
    eventsFolded: 0,
  });

  /**
   * The whole stream, and the order's document of the previous version alongside (one round trip):
   * a crash between that version's document write and its event left the document ahead of the
   * stream, and the events it is missing are recorded with the next append.
   */
  async function loadAfresh(orderId: string): Promise<Loaded> {
    const [fold, doc] = await Promise.all([
      events.aggregateStream(streamOf(orderId), orderEvolver, { useSnapshots: false }),
      legacy.findOne({ _id: orderId }),
    ]);
    return { fold, catchUp: doc ? catchUpWithDocument(fold.state, doc) : [], fresh: true };
  }

  /** The events after what this step knew (one read), or the whole stream when it knew nothing read. */
  async function refresh(orderId: string, known: Loaded): Promise<Loaded> {
    if (known.fold.version === 0 || known.catchUp.length > 0) return loadAfresh(orderId);
    return {
      fold: await events.aggregateStream(streamOf(orderId), orderEvolver, { from: known.fold }),
      catchUp: [],
      fresh: true,
    };
  }

  /** Folds the stored events that follow the fold directly; events already in it, or beyond a gap, leave it as it is (still a true prefix). */
  function foldOn(fold: OrderFold, stored: StoredEvent[]): OrderFold {
    let next = fold;
    for (const event of stored) {
      if (event.version !== next.version + 1) continue;
      next = {
        ...next,
        state: orderEvolver.evolve(next.state, event),
        version: event.version,
        position: event.position,
        timestamp: event.metadata.timestamp,
      };
    }
    return next;
  }

  return {
    /**
     * Decides on the order and records the decision as one conditional append. `assumeNew`: a
     * process that has not seen the order takes it to have no events (a new order) instead of
     * reading the stream; the append's version check says otherwise when it has. Returns the
     * order's state after the step and the events now in the log for it.
     */
    async record(
      ctx: OrderContext,
      decision: Decision,
      options: { assumeNew?: boolean } = {},
    ): Promise<{ state: OrderState; events: StoredEvent[] }> {
      const streamId = streamOf(ctx.orderId);
      const kept = folds.get(streamId);
      let current: Loaded = kept
        ? { fold: kept, catchUp: [], fresh: false }
        : options.assumeNew
          ? { fold: emptyFold(), catchUp: [], fresh: false }
          : await loadAfresh(ctx.orderId);
      for (let conflicts = 0; ;) {
        const state = current.catchUp.reduce(evolve, current.fold.state);
        let decided: Decided;
        try {
          decided = await decision(state);
        } catch (refusal) {
          if (current.fresh) throw refusal;
          current = await refresh(ctx.orderId, current);
          continue;
        }
        // An event the catch-up already records (the document's last status) is not recorded twice.
        const catchUpTypes = new Set(current.catchUp.map((e) => e.type));
        const own = decided.filter((e) => e.idPart !== undefined || !catchUpTypes.has(e.type));
        const toAppend: Decided = [...current.catchUp, ...own];
        if (toAppend.length === 0) {
          if (!current.fresh) {
            current = await refresh(ctx.orderId, current);
            continue;
          }
          folds.set(streamId, current.fold);
          return { state, events: [] };
        }
        try {
          const result = await events.append(
            streamId,
            toAppend.map((e) => ({
              type: e.type,
              data: e.data,
              eventId: deterministicEventId('order', ctx.orderId, idPartOf(e)),
            })),
            {
              streamType: 'order',
              expectedVersion: current.fold.version,
              metadata: { correlationId: ctx.correlationId },
            },
          );
          // Answered from the log with events written after the fold (a twin attempt's): decide again on the stream as it is now.
          const after = result.events.filter((e) => e.version > current.fold.version);
          if (after.length > 0 && after[0]!.version !== current.fold.version + 1 && ++conflicts < MAX_CONFLICTS) {
            current = await refresh(ctx.orderId, current);
            continue;
          }
          const fold = foldOn(current.fold, result.events);
          folds.set(streamId, fold);
          return { state: fold.state, events: result.events };
        } catch (err) {
          // The stream moved since the fold (another attempt, or a compensation): decide again on what it holds now.
          // Some of the ids already in the log and some not is the same race seen from the ids.
          const lostRace = err instanceof WrongExpectedVersionError || err instanceof DuplicateEventIdError;
          folds.delete(streamId);
          if (!lostRace || ++conflicts >= MAX_CONFLICTS) throw err;
          current = await refresh(ctx.orderId, current);
        }
      }
    },
  };
}

export type OrderStream = ReturnType<typeof createOrderStream>;
