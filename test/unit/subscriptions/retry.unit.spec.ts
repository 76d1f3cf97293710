import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import type { Logger } from '../../../infra/logger';
import type { CheckpointDocument } from '../../../readside/engine/checkpoints';
import { retrying } from '../../../readside/engine/retry';
import type { Subscription } from '../../../readside/engine/types';

const event = {
  position: 7,
  streamId: 'order-1',
  type: 'OrderCreated',
  data: {},
  metadata: {},
} as unknown as StoredEvent;
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
const checkpoints = { updateOne: async () => ({}) } as unknown as Collection<CheckpointDocument>;
const BUDGET = 3;

/**
 * A subscription whose store is up or down (`store.up`), probed by `isPoison`; `onAttempt` and
 * `onProbe` may change the store once an attempt or a probe has been made, as a flapping store
 * would. Records what happened.
 */
function subscriptionOver(
  store: { up: boolean },
  options: { poison?: boolean; onAttempt?: (attempt: number) => void; onProbe?: (probe: number) => void } = {},
) {
  const seen = { attempts: 0, applied: 0, probes: 0, parked: [] as number[] };
  const subscription: Subscription = {
    name: 'test',
    retry: { initialMs: 1, maxMs: 1, maxAttempts: BUDGET },
    async handle() {
      const attempt = ++seen.attempts;
      const up = store.up;
      options.onAttempt?.(attempt);
      if (!up) throw new Error('store down');
      if (options.poison) throw new Error('cannot apply this event');
      seen.applied++;
    },
    async isPoison() {
      const up = store.up;
      seen.probes++;
      options.onProbe?.(seen.probes);
      return up;
    },
    async onPoison(_event, _error, attempts) {
      seen.parked.push(attempts);
    },
  };
  return { subscription, seen };
}

const run = (subscription: Subscription) =>
  retrying(subscription, { cps: checkpoints, owner: () => ({ _id: 'test' }), log: quiet, stopped: () => false })(event);

describe('poison or systemic, once an event has used its attempts', () => {
  it('does not park an event whose store came back right after its last attempt failed: the event applies once the store is back', async () => {
    const store = { up: false };
    const { subscription, seen } = subscriptionOver(store, { onAttempt: (n) => n === BUDGET && (store.up = true) });
    await run(subscription);
    expect(seen.parked).toEqual([]);
    expect(seen.applied).toBe(1);
  });

  it('does not park an event whose store went down right after a healthy probe and was still down at the probe after the attempt', async () => {
    const store = { up: false };
    const { subscription, seen } = subscriptionOver(store, {
      // Back just before the last attempt's probe, down again right after it, back after the next probe.
      onAttempt: (n) => n === BUDGET - 1 && (store.up = true),
      onProbe: (n) => (store.up = n !== 1),
    });
    await run(subscription);
    expect(seen.parked).toEqual([]);
    expect(seen.applied).toBe(1);
    expect(seen.attempts).toBe(BUDGET + 1);
  });

  it('parks an event that fails between two healthy probes, within its budget of attempts', async () => {
    const { subscription, seen } = subscriptionOver({ up: true }, { poison: true });
    await run(subscription);
    expect(seen.parked).toEqual([BUDGET]);
    expect(seen.attempts).toBe(BUDGET);
    expect(seen.probes).toBe(2);
  });

  it('costs no probe when an event applies at its first attempt', async () => {
    const { subscription, seen } = subscriptionOver({ up: true });
    await run(subscription);
    expect(seen.probes).toBe(0);
    expect(seen.applied).toBe(1);
  });
});
