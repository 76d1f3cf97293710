import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER_SETTINGS, type BreakerSettings } from '../../../domain/breakers';
import { createEventStore } from '../../../eventstore';
import { createBreakers, type Breakers } from '../../../infra/breakers';
import { countFromNow, useMonitoredMongo } from '../../helpers/monitored-mongo';
import { waitFor } from '../../helpers/wait-for';

/**
 * The successes of a closed breaker are counted in memory and reach the shared window
 * (`breaker_windows`) in batches: with the next call counted at once, or by a flush after
 * `successFlushMs`. Failures, probes and transitions are written at once, and the shared count the
 * decisions are made on stays the same across processes; commands are counted by the driver's monitor.
 */
describe('breakers: the successes of a closed breaker are written in batches', () => {
  const t = useMonitoredMongo();
  const made: Array<{ db: Db; breakers: Breakers[] }> = [];
  afterEach(async () => {
    for (const { db, breakers } of made.splice(0)) {
      await Promise.all(breakers.map((b) => b.stop()));
      await db.dropDatabase().catch(() => {});
    }
  });

  /** A database of its own and `processes` Breakers on it, each as another process would build it. */
  async function setup(settings: Partial<BreakerSettings>, processes = 1, clocks: Array<() => number> = []) {
    const db = t.client.db(`breakers_${randomUUID().slice(0, 8)}`);
    const store = createEventStore(db);
    await store.ensureIndexes();
    const all = Array.from({ length: processes }, (_, i) =>
      createBreakers({
        db,
        store: createEventStore(db),
        settings: { ...DEFAULT_BREAKER_SETTINGS, ...settings },
        now: clocks[i],
      }),
    );
    made.push({ db, breakers: all });
    const window = () => db.collection<{ _id: string; calls: number; failures: number }>('breaker_windows');
    /** The commands sent to `breaker_windows` from here on that write to it. */
    const writes = () =>
      countFromNow(
        t,
        (e) =>
          e.databaseName === db.databaseName &&
          (e.command as Record<string, unknown>)[e.commandName] === 'breaker_windows' &&
          ['findAndModify', 'update'].includes(e.commandName),
      );
    return { all, window, writes };
  }

  const ok = (caller = 'saga-ok') => ({ ok: true, caller });
  const failed = (caller = 'saga-failed') => ({ ok: false, caller, error: 'provider down (test)' });

  it('writes nothing for 20 successes at once, and one command for all of them after the flush interval', async () => {
    const { all, window, writes } = await setup({ successFlushMs: 300 });
    const [breakers] = all as [Breakers];
    // The window exists (starting one is a command more, for a success as for a failure).
    await breakers.record('payment', failed());
    const written = writes();
    for (let i = 0; i < 20; i++) expect(await breakers.record('payment', ok())).toBe(false);
    expect(written()).toBe(0);
    expect(await window().findOne({ _id: 'payment' })).toMatchObject({ calls: 1, failures: 1 });
    await waitFor(
      'the 20 successes in the shared window',
      async () => (await window().findOne({ _id: 'payment' }))?.calls === 21,
    );
    expect(written()).toBe(1);
  });

  it('writes held successes in the same command as the next failure, so the failure decides on the exact count', async () => {
    const { all, window, writes } = await setup({ successFlushMs: 20_000, windowMs: 60_000 });
    const [breakers] = all as [Breakers];
    const written = writes();
    for (let i = 0; i < 10; i++) await breakers.record('shipping', ok());
    expect(written()).toBe(0);
    expect(await breakers.record('shipping', failed())).toBe(false);
    expect(await window().findOne({ _id: 'shipping' })).toMatchObject({ calls: 11, failures: 1 });
    // In a window that exists already, the next failure carries its held successes in one $inc.
    for (let i = 0; i < 4; i++) await breakers.record('shipping', ok());
    const before = written();
    await breakers.record('shipping', failed());
    expect(written() - before).toBe(1);
    expect(await window().findOne({ _id: 'shipping' })).toMatchObject({ calls: 16, failures: 2 });
  });

  it('opens the breaker when the failure share across two processes reaches the ratio, never below the minimum of calls', async () => {
    const { all } = await setup({ successFlushMs: 20_000, windowMs: 60_000, minimumCalls: 10, failureRatio: 0.5 }, 2);
    const [a, b] = all as [Breakers, Breakers];
    // A holds 5 successes; B's 5 failures are all of the window's calls it knows, below the minimum.
    for (let i = 0; i < 5; i++) await a.record('payment', ok());
    for (let i = 0; i < 5; i++) expect(await b.record('payment', failed())).toBe(false);
    expect((await b.list()).find((v) => v.service === 'payment')?.status).toBe('closed');
    // A's failure carries its successes: 6 of 11 failed, which is at least half.
    expect(await a.record('payment', failed())).toBe(true);
    const payment = (await b.list()).find((v) => v.service === 'payment');
    expect(payment).toMatchObject({ status: 'open', by: 'failures' });
    expect(payment?.reason).toMatch(/^6 of 11 calls failed/);
  });

  it('counts the successes another process flushed when its own failures decide', async () => {
    const { all } = await setup({ successFlushMs: 20_000, windowMs: 60_000, minimumCalls: 10, failureRatio: 0.5 }, 2);
    const [a, b] = all as [Breakers, Breakers];
    for (let i = 0; i < 6; i++) await a.record('inventory', ok());
    await a.flush();
    // 4 failures of 10 calls, then 5 of 11: below half both times.
    for (let i = 0; i < 5; i++) expect(await b.record('inventory', failed())).toBe(false);
    // 6 of 12: half.
    expect(await b.record('inventory', failed())).toBe(true);
    expect((await a.list()).find((v) => v.service === 'inventory')?.reason).toMatch(/^6 of 12 calls failed/);
  });

  it('closes the breaker at once on the probe’s success', async () => {
    const { all, writes } = await setup({ successFlushMs: 20_000, minimumCalls: 2, failureRatio: 0.5, openMs: 100 }, 2);
    const [a, b] = all as [Breakers, Breakers];
    await a.record('email', failed());
    expect(await a.record('email', failed())).toBe(true);
    await waitFor('the email breaker to let a probe through', async () => (await a.poll('email', 'probe')) === 'probe');
    const written = writes();
    expect(await a.record('email', ok('probe'))).toBe(false);
    expect(written()).toBeGreaterThan(0);
    // Another process reading the breaker afresh sees it closed, without waiting for any flush.
    expect((await b.list()).find((v) => v.service === 'email')).toMatchObject({ status: 'closed', by: 'probe' });
  });

  it('drops the successes held from before a transition rather than count them in the new window', async () => {
    const { all, window } = await setup({ successFlushMs: 20_000, windowMs: 60_000 }, 2);
    const [a, b] = all as [Breakers, Breakers];
    for (let i = 0; i < 3; i++) await a.record('payment', ok());
    await b.set('payment', 'open', 'test', 'key-1');
    await b.set('payment', 'closed', 'test', 'key-1');
    // A reads the breakers afresh; its next failure starts the new epoch's window.
    await a.list();
    await a.record('payment', failed());
    expect(await window().findOne({ _id: 'payment' })).toMatchObject({ epoch: 2, calls: 1, failures: 1 });
  });

  it('leaves the window of a newer epoch alone when a process behind counts a call', async () => {
    // A's clock stands still, so the breaker state it read first stays fresh to it: it is behind.
    const frozen = Date.now();
    const { all, window } = await setup({ windowMs: 60_000 }, 2, [() => frozen]);
    const [a, b] = all as [Breakers, Breakers];
    expect(await a.state('payment')).toMatchObject({ status: 'closed' });
    await b.set('payment', 'open', 'test', 'key-1');
    await b.set('payment', 'closed', 'test', 'key-1');
    await b.record('payment', failed());
    expect(await a.record('payment', failed())).toBe(false);
    expect(await window().findOne({ _id: 'payment' })).toMatchObject({ epoch: 2, calls: 1, failures: 1 });
  });

  it('writes the held successes on stop, and counts every later success at once', async () => {
    const { all, window, writes } = await setup({ successFlushMs: 20_000 });
    const [breakers] = all as [Breakers];
    for (let i = 0; i < 3; i++) await breakers.record('shipping', ok());
    await breakers.stop();
    expect(await window().findOne({ _id: 'shipping' })).toMatchObject({ calls: 3, failures: 0 });
    const written = writes();
    await breakers.record('shipping', ok());
    expect(written()).toBe(1);
    expect(await window().findOne({ _id: 'shipping' })).toMatchObject({ calls: 4 });
  });
});
