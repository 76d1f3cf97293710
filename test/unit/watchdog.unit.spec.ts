import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger';
import { startWatchdog, WATCHDOG_EXIT_CODE, type Watchdog } from '../../infra/watchdog';
import { waitFor } from '../helpers/wait-for';

/** A logger whose lines the test reads. */
function capture() {
  const lines: Array<{ level: number; msg: string; server?: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger('watchdog-test', 'info', destination) };
}

describe('watchdog', () => {
  let watchdog: Watchdog | undefined;
  afterEach(() => watchdog?.stop());

  it('exits with its own code and a line naming the server once that server has not answered for the timeout', async () => {
    const { lines, log } = capture();
    const exits: number[] = [];
    const started = Date.now();
    let mongoUp = true;
    watchdog = startWatchdog({
      what: 'projector',
      servers: { mongodb: async () => (mongoUp ? 'pong' : new Promise(() => {})), temporal: async () => 'ok' },
      timeoutMs: 1_000,
      log,
      exit: (code) => exits.push(code),
    });
    await waitFor('a first answer', () => Date.now() - started > 300);
    mongoUp = false;
    const frozenAt = Date.now();
    await waitFor('the watchdog to end the process', () => exits.length > 0, 5_000);
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(1_000 - 300);
    expect(exits).toEqual([WATCHDOG_EXIT_CODE]);
    const fatal = lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(
      /^watchdog: projector has not reached mongodb for \d\.\d s \(WATCHDOG_TIMEOUT 1\.0 s\); exiting so that its supervisor restarts it$/,
    );
    expect(fatal?.server).toBe('mongodb');
  });

  it('rides out an outage shorter than the timeout, however often it recurs', async () => {
    const { lines, log } = capture();
    const exits: number[] = [];
    let failing = false;
    watchdog = startWatchdog({
      what: 'API',
      servers: { temporal: async () => (failing ? Promise.reject(new Error('UNAVAILABLE')) : 'ok') },
      timeoutMs: 2_000,
      log,
      exit: (code) => exits.push(code),
    });
    for (let outage = 0; outage < 3; outage++) {
      failing = true;
      const from = Date.now();
      await waitFor(
        'the outage to be noticed',
        () => lines.some((l) => l.level === 40 && l.msg.includes('does not answer')) && Date.now() - from > 600,
      );
      failing = false;
      await waitFor(
        'the server to answer again',
        () => lines.filter((l) => l.msg.includes('answers again')).length > outage,
        3_000,
      );
    }
    expect(exits).toEqual([]);
    expect(lines.some((l) => l.level === 60)).toBe(false);
  });
});
