import path from 'node:path';

/** The repository root, whichever folder a script runs from. */
export const repoRoot = path.resolve(__dirname, '..');

/** Ignored folder where servers built from source are kept and reused. */
export const toolsDir = path.join(repoRoot, '.tools');
export const builtTemporalCli = path.join(toolsDir, 'bin', 'temporal');

export const mongoLauncherDir = path.join(repoRoot, 'servers', 'mongo-launcher');
export const mongoLauncherJar = path.join(mongoLauncherDir, 'target', 'mongo-launcher.jar');
export const mongoLauncherLib = path.join(mongoLauncherDir, 'target', 'lib');

/** The Temporal CLI version built from source when no binary is available. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** A path as the logs show it: relative inside the repository, absolute outside it. */
export function shownPath(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') ? file : relative;
}
