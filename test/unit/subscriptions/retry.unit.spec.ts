import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../eventstore';
import type { Logger } from '../../../infra/logger';
import type { CheckpointDocument } from '../../../subscriptions/checkpoints';
import { retrying } from '../../../subscriptions/retry';
import type { Subscription } from '../../../subscriptions/types';

const event = { position: 7, streamId: 'order-1', type: 'OrderCreated', data: {}, metadata: {} } as unknown as StoredEvent;
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
const checkpoints = { updateOne: async () => ({}) } as unknown as Collection<CheckpointDocument>;

/**
 * A store whose availability follows a script, one entry per operation in the order they happen
 * (an attempt to handle the event, or a probe), the last entry repeating; and an event that is
 * poison or not. Records what the subscription decided.
 */
function scriptedSubscription(script: Array<'up' | 'down'>, options: { poison?: boolean } = {}) {
  let step = 0;
  const up = () => script[Math.min(step++, script.length - 1)] === 'up';
  const seen = { handled: 0, attempts: 0, parked: [] as number[] };
  const subscription: Subscription = {
    name: 'test',
    retry: { initialMs: 1, maxMs: 1, maxAttempts: 3 },
    async handle() {
      seen.attempts++;
      if (!up()) throw new Error('store down');
      if (options.poison) throw new Error('cannot apply this event');
      seen.handled++;
    },
    isPoison: async () => up(),
    async onPoison(_event, _error, attempts) {
      seen.parked.push(attempts);
    },
  };
  return { subscription, seen };
}

const run = (subscription: Subscription) => retrying(subscription, { cps: checkpoints, owner: () => ({ _id: 'test' }), log: quiet, stopped: () => false })(event);

describe('poison or systemic, once an event has used its attempts', () => {
  it('does not park an event whose store came back between its last attempt and the probe: it is tried again and applies', async () => {
    const { subscription, seen } = scriptedSubscription(['down', 'down', 'down', 'up']);
    await run(subscription);
    expect(seen.parked).toEqual([]);
    expect(seen.handled).toBe(1);
  });

  it('does not park an event when the store fails again right after a healthy probe: the failure is systemic and retried', async () => {
    const { subscription, seen } = scriptedSubscription(['down', 'down', 'down', 'up', 'down', 'down', 'down', 'up']);
    await run(subscription);
    expect(seen.parked).toEqual([]);
    expect(seen.handled).toBe(1);
  });

  it('parks an event that fails between two healthy probes, after one attempt more than its budget', async () => {
    const { subscription, seen } = scriptedSubscription(['up'], { poison: true });
    await run(subscription);
    expect(seen.parked).toEqual([4]);
    expect(seen.attempts).toBe(4);
    expect(seen.handled).toBe(0);
  });
});
