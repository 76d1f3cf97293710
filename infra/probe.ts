export interface ProbeResult {
  up: boolean;
  /** The first line of what went wrong, when down. */
  error?: string;
}

/**
 * Asks a server one cheap question (a ping, a system-info call) and waits at most `timeoutMs`: a
 * frozen server never answers, and that must read as down, not as a request that hangs forever.
 */
export async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        // A question in flight never keeps a process alive that is otherwise done.
        timer.unref();
      }),
    ]);
    return { up: true };
  } catch (err) {
    return { up: false, error: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

/** `up`/`down`, as the health endpoints spell it. */
export const upOrDown = (result: ProbeResult): 'up' | 'down' => (result.up ? 'up' : 'down');

/** The errors of the probes that failed, by server: what a 503 names. */
export function probeErrors(results: Record<string, ProbeResult>): Record<string, string> | undefined {
  const errors = Object.fromEntries(
    Object.entries(results).flatMap(([server, r]) => (r.up ? [] : [[server, r.error ?? 'down']])),
  );
  return Object.keys(errors).length ? errors : undefined;
}
