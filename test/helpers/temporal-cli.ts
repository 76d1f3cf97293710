import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { builtTemporalCli } from '../../servers/paths';
import { wheelTemporalCli } from '../../servers/temporal-wheel';
import { findOnPath } from '../../servers/run-command';

const run = promisify(execFile);

/** The real `temporal` CLI, found the way the servers are (TEMPORAL_CLI_PATH, PATH, the unpacked wheel, the built one). */
export async function temporalCli(): Promise<string> {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;
  for (const cli of [wheelTemporalCli, builtTemporalCli]) {
    if (
      await access(cli, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return cli;
  }
  throw new Error(`No temporal CLI: not on PATH, not at ${wheelTemporalCli} nor ${builtTemporalCli}`);
}

export async function temporal(address: string, args: string[]): Promise<string> {
  const { stdout } = await run(await temporalCli(), [...args, '--address', address], { maxBuffer: 20 * 1024 * 1024 });
  return stdout;
}
