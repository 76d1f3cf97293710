import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import type { Connection } from '@temporalio/client';
import type { CommandCpu } from './round-trips';

const run = promisify(execFile);

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  temporal: {
    source: string;
    address: string;
    serverVersion: string | null;
    cli: string | null;
    /** The dev server's `--dynamic-config-value` settings as its process was started; absent for a server not on this machine. */
    dynamicConfig?: string[];
  };
  /**
   * roundTripsUs: median µs of one command at a time on the idle server; commandCpuUs: the CPU µs
   * one such command costs this client and the server (./round-trips.ts).
   */
  mongodb: {
    source: string;
    uri: string;
    version: string | null;
    roundTripsUs?: Record<string, number>;
    commandCpuUs?: CommandCpu;
  };
  loadAverageAtStart: number[];
}

export async function machineInfo(opts: {
  temporal: { source: string; address: string };
  mongo: { source: string; uri: string };
  connection: Connection;
  mongoVersion: string | null;
  mongoRoundTripsUs?: Record<string, number>;
  mongoCommandCpuUs?: CommandCpu;
}): Promise<MachineInfo> {
  let serverVersion: string | null = null;
  try {
    serverVersion = (await opts.connection.workflowService.getSystemInfo({})).serverVersion || null;
  } catch {
    serverVersion = null;
  }
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    temporal: {
      ...opts.temporal,
      serverVersion,
      cli: await temporalCliVersion(),
      ...devServerSettings(opts.temporal.address),
    },
    mongodb: {
      source: opts.mongo.source,
      uri: opts.mongo.uri.replace(/\/\/([^@/]+)@/, '//***@'),
      version: opts.mongoVersion,
      ...(opts.mongoRoundTripsUs && { roundTripsUs: opts.mongoRoundTripsUs }),
      ...(opts.mongoCommandCpuUs && { commandCpuUs: opts.mongoCommandCpuUs }),
    },
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The `--dynamic-config-value` settings on a dev server's command line, in order. */
export function dynamicConfigOf(cmd: string[]): string[] {
  return cmd.flatMap((arg, i) => (arg === '--dynamic-config-value' && cmd[i + 1] ? [cmd[i + 1]!] : []));
}

function devServerSettings(address: string): { dynamicConfig?: string[] } {
  const server = serverProcesses('', address).temporal;
  return server ? { dynamicConfig: dynamicConfigOf(server.cmd) } : {};
}

/** `temporal --version` of the binary the dev server runs (found through /proc), else of the one on PATH. */
async function temporalCliVersion(): Promise<string | null> {
  const candidates = new Set<string>();
  for (const p of findProcesses((cmd) => /temporal/.test(cmd[0] ?? '') && cmd.includes('start-dev'))) {
    try {
      candidates.add(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[0]!);
    } catch {
      // gone
    }
  }
  candidates.add(process.env.TEMPORAL_CLI_PATH ?? 'temporal');
  candidates.add('.tools/bin/temporal');
  for (const bin of candidates) {
    if (!bin) continue;
    try {
      const { stdout } = await run(bin, ['--version'], { timeout: 5_000 });
      return stdout.trim();
    } catch {
      // next
    }
  }
  return null;
}

export interface ProcessRef {
  pid: number;
  cmd: string[];
}

/** Processes whose argv matches; reads /proc only. */
export function findProcesses(match: (argv: string[]) => boolean): ProcessRef[] {
  const found: ProcessRef[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (cmd.length && match(cmd)) found.push({ pid: Number(e), cmd });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The processes serving a MongoDB URI and a Temporal address on this machine, by their port. */
export function serverProcesses(
  mongoUri: string,
  temporalAddress: string,
): { java: ProcessRef | null; temporal: ProcessRef | null } {
  const mongoPort = /:(\d+)(\/|$|\?)/.exec(mongoUri.replace(/^mongodb:\/\//, 'x://'))?.[1];
  const temporalPort = temporalAddress.split(':').pop();
  const java =
    findProcesses(
      (c) => /java$/.test(c[0] ?? '') && c.includes('platform.mongo.Launcher') && (!mongoPort || c.includes(mongoPort)),
    )[0] ?? null;
  const mongod = java
    ? null
    : (findProcesses((c) => /mongod$/.test(c[0] ?? '') && (!mongoPort || c.join(' ').includes(mongoPort)))[0] ?? null);
  const temporal =
    findProcesses(
      (c) => /temporal/.test(c[0] ?? '') && c.includes('start-dev') && (!temporalPort || c.includes(temporalPort)),
    )[0] ?? null;
  return { java: java ?? mongod, temporal };
}
