import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface TemporalWithUi {
  /** Frontend host:port, for TEMPORAL_ADDRESS. */
  address: string;
  /** Where the Temporal Web UI answers, e.g. http://127.0.0.1:41234. */
  uiUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a Temporal dev server with the Web UI for one test file. It runs in a child process
 * because the SDK runtime of a test process is installed once, by startStack, before anything
 * else may touch it, and the dev server's launcher would touch it first.
 */
export async function startTemporalWithUi(timeoutMs = 120_000): Promise<TemporalWithUi> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'temporal-with-ui.process.ts')], {
    cwd: path.resolve(__dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = await new Promise<{ address: string; uiUrl: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`No Temporal dev server with a UI after ${timeoutMs} ms:\n${errors}`)),
      timeoutMs,
    );
    // The dev server's own banner can reach this stdout before the addresses: only the JSON line counts.
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) {
        errors += `${line}\n`;
        return;
      }
      clearTimeout(timer);
      lines.close();
      resolve(JSON.parse(line) as { address: string; uiUrl: string });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The Temporal dev server with a UI did not start (exit ${code}):\n${errors}`));
    });
  });
  return {
    ...started,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
