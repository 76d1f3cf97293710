import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger';
import { withRequestContext } from '../../infra/request-context';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger('context-test', 'info', sink) };
}

describe('request context in logs', () => {
  it('stamps every line written while serving a request with its correlation id, across awaits, and nothing outside one', async () => {
    const { lines, log } = capture();
    log.info('before');
    await withRequestContext({ correlationId: 'corr-1' }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      log.info('deep inside, after an await');
      await Promise.resolve().then(() => log.warn({ step: 'x' }, 'in a continuation'));
    });
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        withRequestContext({ correlationId: `corr-${id}` }, async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 10));
          log.info({ expected: `corr-${id}` }, 'concurrent');
        }),
      ),
    );
    log.info('after');
    const by = (msg: string) => lines.filter((l) => l.msg === msg);
    expect(by('before')[0]!.correlationId).toBeUndefined();
    expect(by('after')[0]!.correlationId).toBeUndefined();
    expect(by('deep inside, after an await')[0]!.correlationId).toBe('corr-1');
    expect(by('in a continuation')[0]!.correlationId).toBe('corr-1');
    expect(by('concurrent')).toHaveLength(3);
    for (const line of by('concurrent')) expect(line.correlationId).toBe(line.expected);
  });

  it('keeps a correlation id the line sets itself', async () => {
    const { lines, log } = capture();
    withRequestContext({ correlationId: 'outer' }, () => log.info({ correlationId: 'own' }, 'explicit'));
    expect(lines[0]!.correlationId).toBe('own');
  });
});
