import { vi } from 'vitest';

/**
 * Polls `check` every 50 ms (vitest's `vi.waitFor`) until it returns a value (not undefined, null or
 * false), or fails naming `what` and the last error `check` threw once `timeoutMs` has passed; a
 * check still running then is not waited for. For an assertion, `expect.poll` says more.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  let lastError: unknown;
  try {
    return await vi.waitFor(
      async () => {
        let value: T | undefined | null | false;
        try {
          value = await check();
        } catch (err) {
          lastError = err;
          throw err;
        }
        if (value === undefined || value === null || value === false) throw new Error(`not yet: ${what}`);
        return value;
      },
      { timeout: timeoutMs, interval: 50 },
    );
  } catch {
    throw new Error(
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever was thrown, its own text is the best account of it
      `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `; last error: ${String(lastError)}` : ''}`,
    );
  }
}
