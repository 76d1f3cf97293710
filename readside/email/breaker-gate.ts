import type { BreakerState } from '../../domain/breakers';
import type { Breakers } from '../../infra/breakers';

/** The caller the Email service is in the breaker's eyes: one subscription, whichever process holds its lease. */
export const EMAIL_BREAKER_CALLER = 'subscription:email';

/** How often a send held back by an open breaker asks it again (jittered). */
const WAIT_POLL_MS = 250;

/** The send was abandoned because its subscription is stopping (the lease was lost, or the process stops). */
export class EmailSendStopped extends Error {
  constructor() {
    super('the email subscription is stopping');
    this.name = 'EmailSendStopped';
  }
}

/**
 * Whether an event's email is part of the work the breaker held back: sent before the breaker's
 * last close, at most the resume rate per second, so that a provider that just came back is not
 * hit by the whole backlog at once. Events after the close go out at full speed.
 */
const heldBack = (state: BreakerState, recordedAt: Date) =>
  state.since !== null && recordedAt.getTime() <= Date.parse(state.since);

/**
 * The Email service's calls to its provider go through the shared `email` breaker (infra/breakers):
 * each send's outcome is counted in the breaker's window, so failures open it as they open the
 * saga's; while it is open (by failures or by hand) no send is attempted and the caller just waits,
 * keeping its place; once the breaker's wait is over this subscription becomes the probe (the
 * breaker's backoff spaces the probes); and once it is closed the held-back sends go out at most
 * `resumePerSecond` per second. A failure that leaves the breaker closed is the caller's to retry.
 */
export function emailBreakerGate(breakers: Breakers, signal?: AbortSignal) {
  const service = 'email' as const;
  const caller = EMAIL_BREAKER_CALLER;

  const pause = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new EmailSendStopped());
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        if (signal?.aborted) reject(new EmailSendStopped());
        else resolve();
      }
    });

  /** Waits until a send may go out: the breaker is closed (and a token was free if paced), or this is the probe. */
  async function turn(recordedAt: Date): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new EmailSendStopped();
      const state = await breakers.state(service);
      if (state.status === 'closed') {
        if (!heldBack(state, recordedAt) || (await breakers.takeResumeToken(service))) return;
        await pause(1_000 - (Date.now() % 1_000) + Math.random() * 20); // the next second's tokens
        continue;
      }
      // Open or half-open: the poll makes this subscription the probe once the breaker's wait is over
      // (never for one opened by hand), and answers `closed` with a resume token taken.
      if ((await breakers.poll(service, caller)) !== 'open') return;
      await pause(WAIT_POLL_MS * (0.5 + Math.random()));
    }
  }

  return {
    /**
     * Sends a batch in one call to the provider when the breaker lets all of it go at full speed
     * (closed, and none of it held back by a recent close): false, with nothing attempted, when it
     * does not, and the batch's emails must go through `send` one by one. Each email is counted in
     * the window as a send of its own would be; a failed call is counted once, and thrown.
     */
    async sendAll(recordedAts: Date[], attempt: () => Promise<void>): Promise<boolean> {
      if (signal?.aborted) throw new EmailSendStopped();
      const state = await breakers.state(service);
      if (state.status !== 'closed' || recordedAts.some((at) => heldBack(state, at))) return false;
      try {
        await attempt();
      } catch (err) {
        await breakers.record(service, { ok: false, caller, error: String(err) }).catch(() => false);
        throw err;
      }
      for (let i = 0; i < recordedAts.length; i++)
        await breakers.record(service, { ok: true, caller }).catch(() => false);
      return true;
    },

    /**
     * Sends through the breaker: `attempt` is one call to the provider. Throws the provider's error
     * when the breaker stays closed after it (the subscription retries with backoff); when the
     * failure opened the breaker, or it was open already, it waits for the breaker instead.
     */
    async send(recordedAt: Date, attempt: () => Promise<void>): Promise<void> {
      for (;;) {
        await turn(recordedAt);
        try {
          await attempt();
        } catch (err) {
          const open = await breakers.record(service, { ok: false, caller, error: String(err) }).catch(() => false);
          if (!open) throw err;
          continue;
        }
        // The email went out: a count that fails to be written must not make it go out again.
        await breakers.record(service, { ok: true, caller }).catch(() => false);
        return;
      }
    },
  };
}

export type EmailBreakerGate = ReturnType<typeof emailBreakerGate>;
