import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * The SDK logs every worker state change at INFO; a test run wants warnings only. The runtime is
 * installed once per process: where another suite of this process installed it, that one stays.
 */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already by another suite of this process.
  }
}
