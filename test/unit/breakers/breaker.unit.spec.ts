import { describe, expect, it } from 'vitest';
import {
  admits,
  afterCall,
  byOperator,
  evolveBreaker,
  initialBreakerState,
  onPoll,
  openFor,
  type BreakerEvent,
  type BreakerSettings,
  type BreakerState,
} from '../../../domain/breakers';

const S: BreakerSettings = {
  windowMs: 10_000,
  minimumCalls: 4,
  failureRatio: 0.5,
  openMs: 1_000,
  maxOpenMs: 5_000,
  probeTimeoutMs: 2_000,
  resumePerSecond: 5,
};
const T = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T + ms).toISOString();
const fold = (...events: Array<BreakerEvent | null | undefined>): BreakerState =>
  events.reduce<BreakerState>((s, e) => (e ? evolveBreaker(s, e) : s), initialBreakerState());
const closed = initialBreakerState();
const opened = fold(afterCall(closed, { ok: false, caller: 'a' }, { calls: 4, failures: 2 }, T, S));
const halfOpen = fold(
  afterCall(closed, { ok: false, caller: 'a' }, { calls: 4, failures: 2 }, T, S),
  onPoll(opened, 'probe-saga', T + 1_000, S).event,
);

describe('the circuit breaker, as a table of state, input and transition', () => {
  it.each([
    { name: 'a success never opens it', ok: true, calls: 10, failures: 9, opens: false },
    { name: 'too few calls never open it (one saga’s retries)', ok: false, calls: 3, failures: 3, opens: false },
    { name: 'a share below the threshold does not open it', ok: false, calls: 10, failures: 4, opens: false },
    { name: 'the threshold share with enough calls opens it', ok: false, calls: 4, failures: 2, opens: true },
    { name: 'every call failing opens it', ok: false, calls: 20, failures: 20, opens: true },
  ])('closed: $name', ({ ok, calls, failures, opens }) => {
    const event = afterCall(closed, { ok, caller: 'a' }, { calls, failures }, T, S);
    expect(event?.type ?? null).toBe(opens ? 'BreakerOpened' : null);
    if (event?.type === 'BreakerOpened')
      expect(event.data).toMatchObject({ by: 'failures', opens: 1, probeAt: at(1_000), calls, failures });
  });

  it.each([
    { name: 'minimumCalls failures in a row open it, whatever the window’s older successes', streak: 4, opens: true },
    { name: 'a shorter run of failures among many successes does not', streak: 3, opens: false },
  ])('closed, a window of 40 calls and 6 failures: $name', ({ streak, opens }) => {
    const window = { calls: 40, failures: 6, streak };
    const event = afterCall(closed, { ok: false, caller: 'a', error: 'down' }, window, T, S);
    expect(event?.type ?? null).toBe(opens ? 'BreakerOpened' : null);
    if (event?.type === 'BreakerOpened')
      expect(event.data).toMatchObject({
        by: 'failures',
        opens: 1,
        reason: '4 calls in a row failed (6 of 40 within 10000 ms) (last: down)',
      });
    // A success is never the one that opens it, streak or not.
    expect(afterCall(closed, { ok: true, caller: 'a' }, window, T, S)).toBeNull();
  });

  it('admits calls when closed, none when open, and only its probe when half-open', () => {
    expect(admits(closed, 'x', T)).toBe(true);
    expect(admits(opened, 'x', T + 60_000)).toBe(false);
    expect(admits(halfOpen, 'probe-saga', T + 1_500)).toBe(true);
    expect(admits(halfOpen, 'other', T + 1_500)).toBe(false);
    // A probe that went silent past its deadline is no longer let through.
    expect(admits(halfOpen, 'probe-saga', T + 3_000)).toBe(false);
  });

  it('keeps a waiting saga waiting until the open period is over, then makes it the probe', () => {
    expect(onPoll(closed, 'x', T, S)).toEqual({ answer: 'closed' });
    expect(onPoll(opened, 'x', T + 999, S)).toEqual({ answer: 'open' });
    expect(onPoll(opened, 'x', T + 1_000, S)).toEqual({
      answer: 'probe',
      event: { type: 'BreakerHalfOpened', data: { at: at(1_000), probeBy: 'x', probeUntil: at(3_000) } },
    });
    // Half-open: the probe is told again it is the probe, everyone else waits...
    expect(onPoll(halfOpen, 'probe-saga', T + 1_500, S)).toEqual({ answer: 'probe' });
    expect(onPoll(halfOpen, 'other', T + 1_500, S)).toEqual({ answer: 'open' });
    // ...until the probe goes silent: the next asker takes it over.
    expect(onPoll(halfOpen, 'other', T + 3_000, S)).toMatchObject({
      answer: 'probe',
      event: { type: 'BreakerHalfOpened', data: { probeBy: 'other' } },
    });
  });

  it('closes when the probe answers (a business refusal is an answer), reopens with a doubled wait when it fails', () => {
    expect(afterCall(halfOpen, { ok: true, caller: 'probe-saga' }, { calls: 1, failures: 0 }, T + 1_200, S)).toEqual({
      type: 'BreakerClosed',
      data: { at: at(1_200), by: 'probe', reason: 'the probe call answered' },
    });
    const reopened = afterCall(
      halfOpen,
      { ok: false, caller: 'probe-saga', error: 'down' },
      { calls: 1, failures: 1 },
      T + 1_200,
      S,
    );
    expect(reopened).toMatchObject({
      type: 'BreakerOpened',
      data: { by: 'probe', opens: 2, probeAt: at(1_200 + 2_000) },
    });
    // Another saga's call in half-open (admitted earlier) decides nothing.
    expect(afterCall(halfOpen, { ok: true, caller: 'other' }, { calls: 1, failures: 0 }, T + 1_200, S)).toBeNull();
    expect(afterCall(opened, { ok: true, caller: 'x' }, { calls: 1, failures: 0 }, T + 100, S)).toBeNull();
  });

  it('backs off between probes up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((n) => openFor(n, S))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('opens by hand until closed by hand, and a repeated hand changes nothing', () => {
    const manual = byOperator(closed, 'open', 'carrier maintenance', 'ops-key', T);
    expect(manual).toMatchObject({ type: 'BreakerOpened', data: { by: 'operator', probeAt: null, keyId: 'ops-key' } });
    const state = fold(manual);
    // No probe ever: nobody may call until an operator closes it.
    expect(onPoll(state, 'x', T + 10 * 3_600_000, S)).toEqual({ answer: 'open' });
    expect(byOperator(state, 'open', 'again', 'ops-key', T)).toBeNull();
    expect(byOperator(closed, 'closed', 'already', 'ops-key', T)).toBeNull();
    const close = byOperator(state, 'closed', 'carrier back', 'ops-key', T + 5);
    expect(close).toMatchObject({ type: 'BreakerClosed', data: { by: 'operator', keyId: 'ops-key' } });
    expect(fold(manual, close).status).toBe('closed');
    // An operator may hold a breaker open that its failures opened: it no longer probes by itself.
    expect(byOperator(opened, 'open', 'hold it', 'ops-key', T)).toMatchObject({ data: { probeAt: null } });
  });
});
