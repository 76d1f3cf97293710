/**
 * A circuit breaker per external service, as a pure state machine: closed (calls go through),
 * open (calls fail fast; the sagas that need the service wait), half-open (one probe call is let
 * through; its answer closes or reopens the breaker). The state is a fold of its transitions, one
 * event each, so every change is a fact an operator can read (stream `breaker-<service>`). No I/O:
 * the adapter (infra/breakers.ts) loads, counts and appends; time comes in as `now` (ms).
 */

/** The services whose calls go through a breaker: the saga's external steps and the Email service. */
export const BREAKER_SERVICES = ['payment', 'inventory', 'shipping', 'email'] as const;
export type BreakerService = (typeof BREAKER_SERVICES)[number];
export const isBreakerService = (service: string): service is BreakerService =>
  (BREAKER_SERVICES as readonly string[]).includes(service);

export const BREAKER_STATUSES = ['closed', 'open', 'half-open'] as const;
export type BreakerStatus = (typeof BREAKER_STATUSES)[number];

export interface BreakerSettings {
  /** Calls are counted in windows of this length. */
  windowMs: number;
  /**
   * Fewer calls than this in a window never open the breaker (one saga's retries alone do not); this
   * many failures in a row open it, whatever share of the window they are.
   */
  minimumCalls: number;
  /** The share of failed calls in a window (0..1] that opens the breaker. */
  failureRatio: number;
  /** How long the breaker stays open before the first probe; doubled after each failed probe. */
  openMs: number;
  /** The longest wait between probes. */
  maxOpenMs: number;
  /** A probe that reports nothing within this is handed to another waiting saga. */
  probeTimeoutMs: number;
  /** At most this many waiting steps resume per second once the breaker closes. */
  resumePerSecond: number;
  /**
   * How long a process may keep the successes of a closed breaker before they reach the shared
   * window (infra/breaker-windows.ts); no rule here reads it, as a success never moves a closed breaker.
   */
  successFlushMs?: number;
}

export const DEFAULT_BREAKER_SETTINGS: Readonly<Required<BreakerSettings>> = {
  windowMs: 30_000,
  minimumCalls: 10,
  failureRatio: 0.5,
  openMs: 5_000,
  maxOpenMs: 60_000,
  probeTimeoutMs: 30_000,
  resumePerSecond: 10,
  successFlushMs: 1_000,
};

/** Who moved the breaker: its own failure count, a probe's answer, or an operator by hand. */
export type BreakerCause = 'failures' | 'probe' | 'operator';

export type BreakerEvent =
  | {
      type: 'BreakerOpened';
      data: {
        at: string;
        by: BreakerCause;
        reason: string;
        /** The window that opened it (by failures). */
        calls?: number;
        failures?: number;
        /** When a probe may be tried; null: opened by hand, closed by hand only. */
        probeAt: string | null;
        /** Consecutive openings since the breaker was last closed (the probes' backoff). */
        opens: number;
        keyId?: string;
      };
    }
  | { type: 'BreakerHalfOpened'; data: { at: string; probeBy: string; probeUntil: string } }
  | { type: 'BreakerClosed'; data: { at: string; by: BreakerCause; reason: string; keyId?: string } };
export type BreakerEventType = BreakerEvent['type'];
export const BREAKER_EVENT_TYPES: readonly BreakerEventType[] = ['BreakerOpened', 'BreakerHalfOpened', 'BreakerClosed'];

export interface BreakerState {
  status: BreakerStatus;
  /** When the breaker entered its status (ISO), null if it never moved. */
  since: string | null;
  by: BreakerCause | null;
  reason: string | null;
  probeAt: string | null;
  opens: number;
  probeBy: string | null;
  probeUntil: string | null;
}

export const initialBreakerState = (): BreakerState => ({
  status: 'closed',
  since: null,
  by: null,
  reason: null,
  probeAt: null,
  opens: 0,
  probeBy: null,
  probeUntil: null,
});

export function evolveBreaker(state: BreakerState, event: { type: string; data: unknown }): BreakerState {
  const e = event as BreakerEvent;
  switch (e.type) {
    case 'BreakerOpened':
      return {
        status: 'open',
        since: e.data.at,
        by: e.data.by,
        reason: e.data.reason,
        probeAt: e.data.probeAt,
        opens: e.data.opens,
        probeBy: null,
        probeUntil: null,
      };
    case 'BreakerHalfOpened':
      return {
        ...state,
        status: 'half-open',
        since: e.data.at,
        probeBy: e.data.probeBy,
        probeUntil: e.data.probeUntil,
      };
    case 'BreakerClosed':
      return { ...initialBreakerState(), since: e.data.at, by: e.data.by, reason: e.data.reason };
    default:
      return state;
  }
}

/** Calls and failures counted in the current window (business refusals count as calls, never as failures). */
export interface BreakerWindow {
  calls: number;
  failures: number;
  /**
   * The failures since the window's last success (as far as the shared count knows it). A window
   * that began in busy, healthy traffic holds many successes, and its failure share would reach the
   * ratio only after as many failures: a run of minimumCalls failures in a row opens it anyway.
   */
  streak?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (at: string | null) => (at === null ? Number.NaN : Date.parse(at));

/** The wait before the n-th consecutive probe: openMs, doubled each time, at most maxOpenMs. */
export const openFor = (opens: number, s: BreakerSettings): number =>
  Math.min(s.openMs * 2 ** Math.max(0, opens - 1), s.maxOpenMs);

/** Whether a call may go to the service now: closed, or the half-open probe's own call. */
export function admits(state: BreakerState, caller: string, now: number): boolean {
  if (state.status === 'closed') return true;
  if (state.status === 'open') return false;
  return state.probeBy === caller && now < ms(state.probeUntil);
}

/**
 * What one call's outcome changes: in a closed breaker, a failure that brings the window's share
 * of failures to the threshold (with enough calls) opens it; in a half-open one, the probe's answer
 * closes it, or reopens it with a longer wait. `window` already counts this call.
 */
export function afterCall(
  state: BreakerState,
  call: { ok: boolean; caller: string; error?: string },
  window: BreakerWindow,
  now: number,
  s: BreakerSettings,
): BreakerEvent | null {
  if (state.status === 'closed') {
    if (call.ok || window.calls < s.minimumCalls) return null;
    const byShare = window.failures >= s.failureRatio * window.calls;
    const byStreak = (window.streak ?? 0) >= s.minimumCalls;
    if (!byShare && !byStreak) return null;
    const why = byShare
      ? `${window.failures} of ${window.calls} calls failed within ${s.windowMs} ms`
      : `${window.streak} calls in a row failed (${window.failures} of ${window.calls} within ${s.windowMs} ms)`;
    return {
      type: 'BreakerOpened',
      data: {
        at: iso(now),
        by: 'failures',
        reason: `${why}${call.error ? ` (last: ${call.error})` : ''}`,
        calls: window.calls,
        failures: window.failures,
        probeAt: iso(now + openFor(1, s)),
        opens: 1,
      },
    };
  }
  if (state.status === 'half-open' && state.probeBy === call.caller) {
    if (call.ok)
      return { type: 'BreakerClosed', data: { at: iso(now), by: 'probe', reason: 'the probe call answered' } };
    const opens = state.opens + 1;
    return {
      type: 'BreakerOpened',
      data: {
        at: iso(now),
        by: 'probe',
        reason: `the probe call failed${call.error ? `: ${call.error}` : ''}`,
        probeAt: iso(now + openFor(opens, s)),
        opens,
      },
    };
  }
  return null;
}

/** What a waiting saga is told: go on (closed), make the probe call, or keep waiting. */
export type PollAnswer = 'closed' | 'probe' | 'open';

/**
 * A waiting saga asks: once an open breaker's wait is over (or a half-open probe went silent),
 * the asker becomes the probe (half-open); a breaker opened by hand waits for a hand to close it.
 */
export function onPoll(
  state: BreakerState,
  caller: string,
  now: number,
  s: BreakerSettings,
): { answer: PollAnswer; event?: BreakerEvent } {
  if (state.status === 'closed') return { answer: 'closed' };
  if (state.status === 'half-open' && now < ms(state.probeUntil))
    return { answer: state.probeBy === caller ? 'probe' : 'open' };
  if (state.status === 'open' && !(now >= ms(state.probeAt))) return { answer: 'open' };
  return {
    answer: 'probe',
    event: {
      type: 'BreakerHalfOpened',
      data: { at: iso(now), probeBy: caller, probeUntil: iso(now + s.probeTimeoutMs) },
    },
  };
}

/** An operator opens (until closed by hand) or closes a breaker; nothing when it already is so. */
export function byOperator(
  state: BreakerState,
  target: 'open' | 'closed',
  reason: string,
  keyId: string,
  now: number,
): BreakerEvent | null {
  if (target === 'closed')
    return state.status === 'closed'
      ? null
      : { type: 'BreakerClosed', data: { at: iso(now), by: 'operator', reason, keyId } };
  if (state.status === 'open' && state.by === 'operator') return null;
  return {
    type: 'BreakerOpened',
    data: { at: iso(now), by: 'operator', reason, probeAt: null, opens: state.opens + 1, keyId },
  };
}

/** The stream that holds one service's transitions. */
export const breakerStream = (service: BreakerService) => `breaker-${service}`;
export const BREAKER_STREAM_TYPE = 'breaker';
