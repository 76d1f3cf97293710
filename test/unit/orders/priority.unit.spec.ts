import { describe, expect, it } from 'vitest';
import { approvedPriority, placedPriority, SAGA_PRIORITY } from '../../../domain/orders/priority';

describe("a saga's place in the task queue", () => {
  it("keys a new order's saga by its customer's pseudonym, at the default level", () => {
    expect(placedPriority('bi1.abc')).toEqual({ priorityKey: 3, fairnessKey: 'bi1.abc', fairnessWeight: 1 });
  });

  it("puts an approved saga's remaining steps ahead of new orders' steps", () => {
    expect(approvedPriority().priorityKey).toBeLessThan(SAGA_PRIORITY.placed);
  });

  it('refuses a key Temporal would refuse (empty, or over 64 bytes)', () => {
    expect(() => placedPriority('')).toThrow(RangeError);
    expect(() => placedPriority('x'.repeat(65))).toThrow(RangeError);
    expect(() => placedPriority('é'.repeat(33))).toThrow(RangeError);
    expect(placedPriority('x'.repeat(64)).fairnessKey).toHaveLength(64);
  });
});
