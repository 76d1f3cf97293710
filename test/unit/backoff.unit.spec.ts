import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../infra/backoff';

describe('backoffDelay', () => {
  it('starts at the initial delay, multiplies by the factor per retry, and never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        (initialMs, maxMs, factor, attempts) => {
          const delays = Array.from({ length: attempts }, (_, i) => backoffDelay(i + 1, { initialMs, maxMs, factor }));
          expect(delays[0]).toBe(Math.min(initialMs, maxMs));
          for (let i = 1; i < delays.length; i++) {
            expect(delays[i]).toBe(Math.min(maxMs, Math.round(initialMs * factor ** i)));
            expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
          }
          expect(Math.max(...delays)).toBeLessThanOrEqual(maxMs);
        },
      ),
    );
  });
});
