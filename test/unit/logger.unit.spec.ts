import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskCardLike } from '../../infra/logger';

describe('log masking', () => {
  it('masks card-like numbers in nested plain data, also where one object is referenced twice', () => {
    const shared = { card: '4111 1111 1111 1111' };
    const masked = maskCardLike({ a: shared, b: [shared], note: 'paid with 5500-0000-0000-0004' }) as any;
    expect(masked.a.card).toBe('****1111');
    expect(masked.b[0].card).toBe('****1111');
    expect(masked.note).toBe('paid with ****0004');
  });

  it('logs objects that refer to themselves, and class instances such as HTTP requests, without walking into them', () => {
    const lines: string[] = [];
    const log = createLogger(
      'mask-test',
      'info',
      new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }),
    );
    const loop: Record<string, unknown> = { card: '4111111111111111' };
    loop.self = loop;
    class Request {
      socket = { parent: this as unknown };
    }
    expect(() => log.info({ loop, req: new Request() }, 'circular')).not.toThrow();
    expect(lines.join('')).toContain('****1111');
  });
});
