import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for';

describe('waitFor', () => {
  it('answers with the first value that is not undefined, null or false, after errors on the way', async () => {
    const answers: unknown[] = [undefined, null, false, new Error('not up yet'), 0, 'never asked'];
    let asked = 0;
    const value = await waitFor('a value', () => {
      const answer = answers[asked++];
      if (answer instanceof Error) throw answer;
      return answer as number | undefined | null | false;
    });
    expect(value).toBe(0);
    expect(asked).toBe(5);
  });

  it('fails naming what it waited for and the last error the check threw', async () => {
    await expect(
      waitFor(
        'the projector',
        () => {
          throw new Error('connection refused');
        },
        300,
      ),
    ).rejects.toThrow('Timed out after 300 ms waiting for the projector; last error: Error: connection refused');
  });

  it('fails at its deadline even when a check hangs', { timeout: 5_000 }, async () => {
    const started = Date.now();
    await expect(waitFor('a hung check', () => new Promise<never>(() => {}), 300)).rejects.toThrow(
      'Timed out after 300 ms waiting for a hung check',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
