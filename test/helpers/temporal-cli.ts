import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { builtTemporalCli } from '../../servers/paths';
import { findOnPath } from '../../servers/run-command';

const run = promisify(execFile);

/** The real `temporal` CLI, found the way the servers are (TEMPORAL_CLI_PATH, PATH, the built one). */
export async function temporalCli(): Promise<string> {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;
  await access(builtTemporalCli, constants.X_OK);
  return builtTemporalCli;
}

export async function temporal(address: string, args: string[]): Promise<string> {
  const { stdout } = await run(await temporalCli(), [...args, '--address', address], { maxBuffer: 20 * 1024 * 1024 });
  return stdout;
}
