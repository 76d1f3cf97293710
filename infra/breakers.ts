import type { Db } from 'mongodb';
import {
  BREAKER_SERVICES,
  BREAKER_STREAM_TYPE,
  DEFAULT_BREAKER_SETTINGS,
  admits,
  afterCall,
  breakerStream,
  byOperator,
  evolveBreaker,
  initialBreakerState,
  onPoll,
  type BreakerEvent,
  type BreakerService,
  type BreakerSettings,
  type BreakerState,
  type PollAnswer,
} from '../domain/breakers';
import { WrongExpectedVersionError, type AggregateResult, type EventStore, type Evolver } from '../eventstore';
import { createBreakerWindows } from './breaker-windows';

/** What the breakers need of the event store: their transitions are its events. */
export type BreakerStore = Pick<EventStore, 'append' | 'aggregateStream'>;

const evolver: Evolver<BreakerState> = { initialState: initialBreakerState, evolve: evolveBreaker };

interface TokenDocument {
  _id: string;
  n: number;
  at: Date;
}

/** One breaker as the API and the metrics show it. */
export interface BreakerView extends BreakerState {
  service: BreakerService;
  /** How many transitions it went through (its stream's version). */
  transitions: number;
}

/**
 * How long a process trusts the breaker state it read last before reading again (ms): a change
 * made elsewhere (a transition, an operator's hand) reaches every process within this time. A
 * process that acts on a state this old loses nothing: a failure it counts re-reads the state when
 * its transition is refused, and a transition always expects the version it was decided on. Each
 * read is a MongoDB command per guarded service, so the window sets what a healthy breaker costs
 * under load: at most one read a second per service and process, where 200 ms made it five.
 */
export const BREAKER_STATE_FRESH_MS = 1_000;

/**
 * The breakers' adapter, shared through MongoDB by every process that calls or shows a service (the
 * workers for the saga's steps, the read side for the Email service, the API for operators): the state of each is the fold of
 * its stream `breaker-<service>` (one append per transition, expecting the version it was decided
 * on, so two workers never both open or both probe); the calls of the current window are counters
 * in `breaker_windows` (./breaker-windows.ts: the successes of a closed breaker go out in batches);
 * the resume limiter's tokens are per-second counters in `breaker_tokens`. `stop()` writes the
 * successes still held when the process stops.
 */
export function createBreakers(deps: { db: Db; store: BreakerStore; settings?: BreakerSettings; now?: () => number }) {
  const settings = deps.settings ?? DEFAULT_BREAKER_SETTINGS;
  const now = deps.now ?? Date.now;
  const windows = createBreakerWindows({ db: deps.db, settings, now });
  const tokens = deps.db.collection<TokenDocument>('breaker_tokens');
  const folds = new Map<BreakerService, { fold: AggregateResult<BreakerState>; readAt: number }>();

  async function load(service: BreakerService, fresh = false): Promise<AggregateResult<BreakerState>> {
    const kept = folds.get(service);
    if (kept && !fresh && now() - kept.readAt < BREAKER_STATE_FRESH_MS) return kept.fold;
    const fold = await deps.store.aggregateStream(breakerStream(service), evolver, {
      from: kept?.fold,
      useSnapshots: false,
    });
    folds.set(service, { fold, readAt: now() });
    return fold;
  }

  /** Appends a transition decided on `fold`; false when another worker moved the breaker first. */
  async function transition(
    service: BreakerService,
    fold: AggregateResult<BreakerState>,
    event: BreakerEvent,
  ): Promise<boolean> {
    try {
      await deps.store.append(breakerStream(service), [{ type: event.type, data: event.data }], {
        streamType: BREAKER_STREAM_TYPE,
        expectedVersion: fold.version,
        metadata: { correlationId: breakerStream(service) },
      });
      return true;
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError)) throw err;
      return false;
    } finally {
      folds.delete(service);
    }
  }

  return {
    settings,

    async state(service: BreakerService): Promise<BreakerState> {
      return (await load(service)).state;
    },

    /** Whether `caller` (a saga's workflow id) may call the service now. */
    async admits(service: BreakerService, caller: string): Promise<boolean> {
      return admits((await load(service)).state, caller, now());
    },

    /**
     * Records one call's outcome; true when the breaker is open after it (this failure opened it,
     * or it was open already), so the caller fails fast rather than retry.
     */
    async record(service: BreakerService, call: { ok: boolean; caller: string; error?: string }): Promise<boolean> {
      const fold = await load(service);
      // A success in a closed breaker changes nothing now: it reaches the window later, in a batch.
      if (call.ok && fold.state.status === 'closed' && windows.defer(service, fold.version)) return false;
      const window = await windows.count(service, fold.version, !call.ok);
      const event = afterCall(fold.state, call, window, now(), settings);
      if (event) await transition(service, fold, event);
      const after = event ? await load(service, true) : fold;
      return after.state.status === 'open';
    },

    /**
     * A waiting saga asks whether it may go on: `probe` when it is to make the probe call,
     * `closed` once the breaker is closed and a resume token was free this second, else `open`.
     */
    async poll(service: BreakerService, caller: string): Promise<PollAnswer> {
      // The fold a process read within the last moments serves all its waiting sagas: the append of a
      // transition checks the version it was decided on, so a stale fold never moves the breaker twice.
      const fold = await load(service);
      const { answer, event } = onPoll(fold.state, caller, now(), settings);
      if (event) return (await transition(service, fold, event)) ? 'probe' : 'open';
      if (answer !== 'closed') return answer;
      return (await takeToken(service)) ? 'closed' : 'open';
    },

    /** An operator opens or closes a breaker by hand; the new state, and whether it changed. */
    async set(
      service: BreakerService,
      target: 'open' | 'closed',
      reason: string,
      keyId: string,
    ): Promise<{ changed: boolean; view: BreakerView }> {
      for (;;) {
        const fold = await load(service, true);
        const event = byOperator(fold.state, target, reason, keyId, now());
        if (!event) return { changed: false, view: viewOf(service, fold) };
        if (await transition(service, fold, event))
          return { changed: true, view: viewOf(service, await load(service, true)) };
      }
    },

    /**
     * One of this second's resume tokens, for a caller that paces work held back by the breaker
     * itself instead of polling (the Email service's backlog); false when they are all taken.
     */
    takeResumeToken: (service: BreakerService) => takeToken(service),

    async list(): Promise<BreakerView[]> {
      return Promise.all(BREAKER_SERVICES.map(async (s) => viewOf(s, await load(s, true))));
    },

    /** Writes the successes this process holds to the shared windows now. */
    flush: () => windows.flush(),

    /** Writes what it holds and counts every later call at once: for a process that stops. */
    stop: () => windows.stop(),
  };

  /** One token of this second's allowance; the steps that find none poll again shortly. */
  async function takeToken(service: BreakerService): Promise<boolean> {
    const second = Math.floor(now() / 1000);
    const id = `${service}:${second}`;
    for (let tries = 0; ; tries++) {
      try {
        const doc = await tokens.findOneAndUpdate(
          { _id: id },
          { $inc: { n: 1 }, $setOnInsert: { at: new Date(second * 1000) } },
          { upsert: true, returnDocument: 'after' },
        );
        // The first taker of a second clears the seconds long gone.
        if (doc?.n === 1) await tokens.deleteMany({ at: { $lt: new Date(second * 1000 - 60_000) } });
        return (doc?.n ?? Infinity) <= settings.resumePerSecond;
      } catch (err) {
        // Two first takers of a second race on the insert: the loser increments the winner's document.
        if (tries > 0 || (err as { code?: number }).code !== 11000) throw err;
      }
    }
  }
}

const viewOf = (service: BreakerService, fold: AggregateResult<BreakerState>): BreakerView => ({
  service,
  ...fold.state,
  transitions: fold.version,
});

export type Breakers = ReturnType<typeof createBreakers>;
