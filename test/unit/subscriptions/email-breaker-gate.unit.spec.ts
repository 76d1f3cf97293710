import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BREAKER_SETTINGS,
  afterCall,
  byOperator,
  evolveBreaker,
  initialBreakerState,
  onPoll,
  type BreakerEvent,
  type BreakerSettings,
} from '../../../domain/breakers';
import type { Breakers } from '../../../infra/breakers';
import { EmailSendStopped, emailBreakerGate } from '../../../readside/email/breaker-gate';

/**
 * The Email service's gate on an in-memory breaker that follows the same pure rules as the shared
 * one (domain/breakers): what is attempted, when it waits, and what it tells its subscription.
 */
function memoryBreaker(settings: BreakerSettings) {
  let state = initialBreakerState();
  let window = { calls: 0, failures: 0 };
  const log: BreakerEvent[] = [];
  let tokens = 0;
  const apply = (event: BreakerEvent | null) => {
    if (!event) return;
    log.push(event);
    state = evolveBreaker(state, event);
    window = { calls: 0, failures: 0 };
  };
  const breakers = {
    state: async () => state,
    poll: async (_service: string, caller: string) => {
      const { answer, event } = onPoll(state, caller, Date.now(), settings);
      apply(event ?? null);
      if (answer !== 'closed') return answer;
      return (await breakers.takeResumeToken()) ? 'closed' : 'open';
    },
    record: async (_service: string, call: { ok: boolean; caller: string; error?: string }) => {
      window = { calls: window.calls + 1, failures: window.failures + (call.ok ? 0 : 1) };
      apply(afterCall(state, call, window, Date.now(), settings));
      return state.status === 'open';
    },
    takeResumeToken: async () => {
      tokens += 1;
      return true;
    },
  };
  return {
    breakers: breakers as unknown as Breakers,
    log,
    tokens: () => tokens,
    byHand: (target: 'open' | 'closed') => apply(byOperator(state, target, 'by hand', 'key-1', Date.now())),
  };
}

const settings: BreakerSettings = { ...DEFAULT_BREAKER_SETTINGS, minimumCalls: 2, openMs: 30, maxOpenMs: 60 };

describe('the Email service behind its breaker (readside/email/breaker-gate.ts)', () => {
  it('sends at once while closed, counts the send, and paces nothing recorded after the last close', async () => {
    const m = memoryBreaker(settings);
    let sends = 0;
    await emailBreakerGate(m.breakers).send(new Date(), async () => void sends++);
    expect(sends).toBe(1);
    expect(m.tokens()).toBe(0);
  });

  it('hands a failure that leaves the breaker closed back to its subscription, which retries', async () => {
    const m = memoryBreaker(settings);
    const failing = async () => {
      throw new Error('provider down');
    };
    await expect(emailBreakerGate(m.breakers).send(new Date(), failing)).rejects.toThrow('provider down');
    expect(m.log).toEqual([]);
  });

  it('waits instead of failing once a failure opens the breaker, then probes and sends the held event', async () => {
    const m = memoryBreaker(settings);
    const gate = emailBreakerGate(m.breakers);
    let attempts = 0;
    const downFor = 2;
    const send = async () => {
      attempts += 1;
      if (attempts <= downFor) throw new Error('provider down');
    };
    const recordedAt = new Date();
    await expect(gate.send(recordedAt, send)).rejects.toThrow('provider down'); // 1 of 2 calls: still closed
    await gate.send(recordedAt, send); // the second failure opens it; the wait ends with the probe
    expect(attempts).toBe(3);
    expect(m.log.map((e) => e.type)).toEqual(['BreakerOpened', 'BreakerHalfOpened', 'BreakerClosed']);
    expect(m.log[0]!.data).toMatchObject({ by: 'failures' });
    expect(m.log[2]!.data).toMatchObject({ by: 'probe' });
  });

  it('attempts nothing while opened by hand, and resumes once closed by hand, paced by resume tokens', async () => {
    const m = memoryBreaker(settings);
    const gate = emailBreakerGate(m.breakers);
    const recordedAt = new Date(Date.now() - 1_000);
    m.byHand('open');
    let sends = 0;
    const sending = gate.send(recordedAt, async () => void sends++);
    await new Promise((r) => setTimeout(r, 600)); // longer than any probe wait of these settings
    expect(sends).toBe(0);
    m.byHand('closed');
    await sending;
    expect(sends).toBe(1);
    // Recorded before the close: held back by it, so it took one of the second's resume tokens.
    expect(m.tokens()).toBe(1);
  });

  it('gives up a wait on the breaker when its subscription stops', async () => {
    const m = memoryBreaker(settings);
    m.byHand('open');
    const stopping = new AbortController();
    const sending = emailBreakerGate(m.breakers, stopping.signal).send(new Date(), async () => {});
    stopping.abort();
    await expect(sending).rejects.toBeInstanceOf(EmailSendStopped);
  });
});
