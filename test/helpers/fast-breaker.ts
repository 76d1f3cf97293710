import type { BreakerSettings } from '../../domain/breakers';

/** A breaker for tests: opens after two failed calls out of two, and probes 300 ms after opening. */
export const FAST_BREAKER: BreakerSettings = {
  windowMs: 60_000,
  minimumCalls: 2,
  failureRatio: 0.5,
  openMs: 300,
  maxOpenMs: 1_000,
  probeTimeoutMs: 10_000,
  resumePerSecond: 5,
};
