import type { Client } from '@temporalio/client';
import { openDatabase, temporalClient } from '../../composition';
import type { Config } from '../../config';
import type { Mongo } from '../../infra/mongo';
import { serverProcesses } from './machine';
import { addBytes } from './bytes-written';
import { addTallies } from './command-count';
import { startRole, type ChildRole, type RoleProcess, type Work } from './processes';
import { benchConfig, installRuntime, type ServerAddresses } from './stack';
import type { CpuTarget, ProcessKind, Side } from './work';

/** The sagas' parts, each in a process of its own (bench/role-child.ts), and the load generator (this process) driving them. */
export interface SplitStack {
  config: Config;
  /** The bench's own client (setup, polling the read models): its commands are not counted. */
  mongo: Mongo;
  /** The bench's own Temporal client: starts the baselines' workflows and waits for every result. */
  client: Client;
  baseUrl: string;
  baselineTaskQueue: string;
  minimalTaskQueue: string;
  cpuTargets: CpuTarget[];
  /** What a side's processes have done so far (commands, bytes), all its processes together. */
  work(side: Side): Promise<Work>;
  /** Stops a side's read side (its change streams keep the server busy even when idle), and starts it again. */
  pause(side: Side): Promise<void>;
  resume(side: Side): Promise<void>;
  stop(): Promise<void>;
}

const SIDE_OF: Record<ChildRole, Side> = {
  api: 'ours',
  worker: 'ours',
  readside: 'ours',
  'noop-worker': 'noop',
  'minimal-worker': 'minimal',
  'minimal-watcher': 'minimal',
};
const KIND_OF: Record<ChildRole, ProcessKind> = {
  api: 'API',
  worker: 'worker',
  readside: 'read side',
  'noop-worker': 'worker',
  'minimal-worker': 'worker',
  'minimal-watcher': 'read side',
};
const READERS: ReadonlySet<ChildRole> = new Set(['readside', 'minimal-watcher']);

/**
 * As `npm start` runs it: the API, `workers` order workers and `readSides` read-side processes,
 * beside the baselines' processes (the no-op worker; the minimal saga's worker and watcher), all
 * on one task queue prefix and database of their own. `baselines: false` leaves the baselines out.
 */
export async function startSplitStack(
  servers: ServerAddresses,
  options: { workers?: number; readSides?: number; baselines?: boolean } = {},
): Promise<SplitStack> {
  installRuntime();
  const config = benchConfig(servers);
  const settings = { ...servers, taskQueue: config.TASK_QUEUE, db: config.MONGODB_DB };
  const roles: ChildRole[] = [
    'api',
    ...Array.from({ length: options.workers ?? 1 }, (): ChildRole => 'worker'),
    ...Array.from({ length: options.readSides ?? 1 }, (): ChildRole => 'readside'),
    ...(options.baselines === false ? [] : (['noop-worker', 'minimal-worker', 'minimal-watcher'] as ChildRole[])),
  ];
  const mongo = await openDatabase(config);
  const { client, connection } = await temporalClient(config);
  const processes: RoleProcess[] = [];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop().catch(() => {})));
    await mongo.db.dropDatabase().catch(() => {});
    await connection.close();
    await mongo.close();
  };
  try {
    // One at a time: each bundles its workflows, and two cores do that no faster side by side.
    for (const role of roles) processes.push(await startRole(role, settings));
  } catch (err) {
    await stopAll();
    throw err;
  }
  const count = (role: ChildRole) => roles.filter((r) => r === role).length;
  const seen = new Map<ChildRole, number>();
  const names = processes.map((p) => {
    const n = (seen.get(p.role) ?? 0) + 1;
    seen.set(p.role, n);
    return count(p.role) > 1 ? `${p.role} ${n}` : p.role;
  });
  const procs = serverProcesses(servers.mongodbUri, servers.temporalAddress);
  const cpuTargets: CpuTarget[] = [
    ...processes.map((p, i): CpuTarget => ({
      name: names[i]!,
      pid: p.pid,
      side: SIDE_OF[p.role],
      kind: KIND_OF[p.role],
    })),
    { name: 'MongoDB server', pid: procs.java?.pid, side: 'shared', kind: 'MongoDB', threads: true },
    { name: 'Temporal dev server', pid: procs.temporal?.pid, side: 'shared', kind: 'Temporal' },
    { name: 'load generator (bench process)', pid: process.pid, side: 'load', kind: 'load generator' },
  ];
  const of = (side: Side) => processes.filter((p) => SIDE_OF[p.role] === side);
  return {
    config,
    mongo,
    client,
    baseUrl: processes.find((p) => p.role === 'api')!.baseUrl!,
    baselineTaskQueue: `${config.TASK_QUEUE}-baseline`,
    minimalTaskQueue: `${config.TASK_QUEUE}-minimal`,
    cpuTargets,
    work: async (side) => {
      const works = await Promise.all(of(side).map((p) => p.work()));
      return works.reduce(
        (a, b) => ({ commands: addTallies(a.commands, b.commands), bytes: addBytes(a.bytes, b.bytes) }),
        { commands: {}, bytes: {} },
      );
    },
    pause: async (side) =>
      void (await Promise.all(
        of(side)
          .filter((p) => READERS.has(p.role))
          .map((p) => p.pause()),
      )),
    resume: async (side) =>
      void (await Promise.all(
        of(side)
          .filter((p) => READERS.has(p.role))
          .map((p) => p.resume()),
      )),
    stop: stopAll,
  };
}
