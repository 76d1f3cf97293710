import { describe, expect, it } from 'vitest';
import { keyedLanes } from '../../../domain/accounts/lanes';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('keyed lanes', () => {
  it('runs work on one key one at a time, in arrival order, and other keys beside it', async () => {
    const lanes = keyedLanes();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = lanes.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      return 1;
    });
    const second = lanes.run('a', async () => {
      log.push('a2');
      return 2;
    });
    const other = lanes.run('b', async () => {
      log.push('b1');
      return 3;
    });
    await other;
    await tick();
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('lets the next work run after a failure, and forgets a key with nothing waiting', async () => {
    const lanes = keyedLanes();
    const failed = lanes.run('a', () => Promise.reject(new Error('boom')));
    const next = lanes.run('a', () => Promise.resolve('ran'));
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ran');
    expect(lanes.size).toBe(0);
  });
});
