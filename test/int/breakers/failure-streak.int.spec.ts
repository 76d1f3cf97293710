import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER_SETTINGS } from '../../../domain/breakers';
import { createEventStore } from '../../../eventstore';
import { createBreakers, type Breakers } from '../../../infra/breakers';
import { useMonitoredMongo } from '../../helpers/monitored-mongo';

/**
 * A provider that goes down right after busy, healthy traffic: the breaker's window holds many
 * successes, and its failure share would reach the ratio only after as many failures, each a saga's
 * attempt spent on a provider that is down. A run of `minimumCalls` failures in a row opens it at once;
 * a success in between starts the run again. Two processes share the count, as two workers do.
 */
describe('breakers: a run of failures opens a breaker whose window is full of successes', () => {
  const t = useMonitoredMongo();
  const made: Array<{ db: Db; all: Breakers[] }> = [];
  afterEach(async () => {
    for (const { db, all } of made.splice(0)) {
      await Promise.all(all.map((b) => b.stop()));
      await db.dropDatabase().catch(() => {});
    }
  });

  async function twoProcesses() {
    const db = t.client.db(`breakers_${randomUUID().slice(0, 8)}`);
    await createEventStore(db).ensureIndexes();
    const settings = { ...DEFAULT_BREAKER_SETTINGS, windowMs: 60_000, minimumCalls: 10, successFlushMs: 50 };
    const all = [0, 1].map(() => createBreakers({ db, store: createEventStore(db), settings }));
    made.push({ db, all });
    return all as [Breakers, Breakers];
  }
  const ok = { ok: true, caller: 'saga-ok' };
  const failed = (i: number) => ({ ok: false, caller: `saga-${i}`, error: 'provider down (test)' });

  it('opens on the tenth failure in a row, not after as many failures as the 60 successes before them', async () => {
    const [a, b] = await twoProcesses();
    for (let i = 0; i < 60; i++) await (i % 2 ? a : b).record('payment', ok);
    // One after the other: two processes starting a window at once may lose a count (infra/breaker-windows.ts).
    await a.flush();
    await b.flush();
    const opensAt: number[] = [];
    for (let i = 1; i <= 12 && opensAt.length === 0; i++)
      if (await (i % 2 ? a : b).record('payment', failed(i))) opensAt.push(i);
    // By the share alone it would take 60 failures (50% of 120 calls).
    expect(opensAt).toEqual([10]);
    // Read afresh (a process trusts the state it read for a moment): the other process sees it open too.
    expect((await a.list()).find((v) => v.service === 'payment')).toMatchObject({
      status: 'open',
      reason: expect.stringMatching(/^10 calls in a row failed \(10 of 70 /),
    });
  });

  it('starts the run again at a success in between, written late or at once', async () => {
    const [a, b] = await twoProcesses();
    for (let i = 0; i < 60; i++) await a.record('payment', ok);
    await a.flush();
    for (let i = 1; i <= 9; i++) expect(await b.record('payment', failed(i))).toBe(false);
    // Another process's success, held and then written by its flush, ends the run of nine.
    await a.record('payment', ok);
    await a.flush();
    for (let i = 10; i <= 18; i++) expect(await b.record('payment', failed(i))).toBe(false);
    // A success held by the failing process itself goes out with its next failure, which starts the run at 1.
    await b.record('payment', ok);
    for (let i = 19; i <= 27; i++) expect(await b.record('payment', failed(i))).toBe(false);
    expect(await b.record('payment', failed(28))).toBe(true);
    expect((await a.list()).find((v) => v.service === 'payment')).toMatchObject({ status: 'open' });
  });
});
