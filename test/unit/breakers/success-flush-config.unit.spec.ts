import { describe, expect, it } from 'vitest';
import { breakerSettings, loadConfig } from '../../../config';

describe('BREAKER_SUCCESS_FLUSH_MS: how long a process holds the successes of a closed breaker', () => {
  it('is a second unless set, and reaches the breakers’ settings', () => {
    expect(breakerSettings(loadConfig({})).successFlushMs).toBe(1_000);
    expect(breakerSettings(loadConfig({ BREAKER_SUCCESS_FLUSH_MS: '250ms' })).successFlushMs).toBe(250);
    expect(breakerSettings(loadConfig({ BREAKER_SUCCESS_FLUSH_MS: '2000' })).successFlushMs).toBe(2_000);
  });

  it('refuses what is not a duration, and a flush no shorter than the window', () => {
    expect(() => loadConfig({ BREAKER_SUCCESS_FLUSH_MS: 'soon' })).toThrow(
      /BREAKER_SUCCESS_FLUSH_MS must be a duration like 500ms.*\(got "soon"\)/,
    );
    expect(() => loadConfig({ BREAKER_SUCCESS_FLUSH_MS: '0' })).toThrow(/BREAKER_SUCCESS_FLUSH_MS must be a duration/);
    expect(() => loadConfig({ BREAKER_SUCCESS_FLUSH_MS: '30s', BREAKER_WINDOW: '30s' })).toThrow(
      'BREAKER_SUCCESS_FLUSH_MS must be shorter than BREAKER_WINDOW (30000 ms)',
    );
    expect(loadConfig({ BREAKER_SUCCESS_FLUSH_MS: '5s', BREAKER_WINDOW: '10s' }).BREAKER_SUCCESS_FLUSH_MS).toBe(5_000);
  });
});
