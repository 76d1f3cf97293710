import { describe, expect, it } from 'vitest';
import { PARK_BREAKER_WINDOW_MS, parkAllowed } from '../../../readside/projections/park-breaker';

const now = Date.parse('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms);

describe('the park breaker', () => {
  it.each([
    { parks: [], stream: 'c', allowed: true, why: 'nothing parked before' },
    { parks: [{ streamId: 'a', at: ago(1_000) }], stream: 'c', allowed: true, why: 'one other stream parked' },
    {
      parks: [
        { streamId: 'a', at: ago(2_000) },
        { streamId: 'b', at: ago(1_000) },
      ],
      stream: 'c',
      allowed: false,
      why: 'two other streams parked within the window',
    },
    {
      parks: [
        { streamId: 'a', at: ago(2_000) },
        { streamId: 'a', at: ago(1_000) },
      ],
      stream: 'c',
      allowed: true,
      why: 'the same other stream twice',
    },
    {
      parks: [
        { streamId: 'a', at: ago(2_000) },
        { streamId: 'c', at: ago(1_000) },
      ],
      stream: 'c',
      allowed: true,
      why: 'this stream and one other',
    },
    {
      parks: [
        { streamId: 'a', at: ago(PARK_BREAKER_WINDOW_MS + 1) },
        { streamId: 'b', at: ago(1_000) },
      ],
      stream: 'c',
      allowed: true,
      why: 'an older park has left the window',
    },
  ])('allows a park: $allowed when $why', ({ parks, stream, allowed }) => {
    expect(parkAllowed(parks, stream, now)).toBe(allowed);
  });
});
