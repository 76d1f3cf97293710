import type { Db } from 'mongodb';
import { cpuWindow, jitCpuSeconds } from './cpu';
import { median } from './util';

/** Commands timed one at a time; the insert and update use the event store's write concern. */
const SAMPLES = 300;
const WARM_UP = 50;
/** CPU is read from /proc in 10 ms ticks: enough commands that a tick is a small part of the figure. */
const CPU_SAMPLES = 2000;

type Commands = Record<string, () => Promise<unknown>>;

/** CPU µs of one command, by command: this client's and the server's (null: not a local process). */
export type CommandCpu = Record<string, { client: number; server: number | null }>;

function probeCommands(db: Db): { commands: Commands; ready: () => Promise<unknown> } {
  const docs = db.collection<{ _id: string; n: number }>('round_trips', { writeConcern: { w: 'majority' } });
  const inserts = db.collection<{ at: Date }>('round_trip_inserts', { writeConcern: { w: 'majority' } });
  return {
    ready: () => docs.insertOne({ _id: 'probe', n: 0 }),
    commands: {
      ping: () => db.command({ ping: 1 }),
      'find by _id': () => docs.findOne({ _id: 'probe' }),
      'update by _id': () => docs.updateOne({ _id: 'probe' }, { $inc: { n: 1 } }),
      insert: () => inserts.insertOne({ at: new Date() }),
    },
  };
}

/**
 * What one round trip to the MongoDB server costs on this machine, idle and one command at a time
 * (median, microseconds): the floor under every step of a saga, whatever the server is. Compare it
 * with the same commands on a replica set (see docs/performance.md, "The stand-in's limits").
 */
export async function mongoRoundTrips(db: Db): Promise<Record<string, number>> {
  const { commands, ready } = probeCommands(db);
  await ready();
  const out: Record<string, number> = {};
  for (const [name, command] of Object.entries(commands)) {
    for (let i = 0; i < WARM_UP; i++) await command();
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const started = performance.now();
      await command();
      times.push(performance.now() - started);
    }
    out[name] = Math.round(median(times) * 1000);
  }
  await db.dropDatabase();
  return out;
}

/**
 * The CPU one command costs, idle and one at a time (microseconds per command): this process's
 * (the same driver the worker, the API and the read side use) and the server's, from /proc. A
 * round trip's time is mostly waiting; this is what a command adds to a saga's CPU figures, and
 * the yardstick for what a saga's extra commands can explain of them. `server` leaves out a JVM's
 * JIT compiler threads, as the saga's figures do, and is null for a server that is not a process
 * on this machine.
 */
export async function mongoCommandCpu(db: Db, serverPid: number | null | undefined): Promise<CommandCpu> {
  const { commands, ready } = probeCommands(db);
  await ready();
  const out: CommandCpu = {};
  for (const [name, command] of Object.entries(commands)) {
    for (let i = 0; i < WARM_UP * 10; i++) await command();
    const server = cpuWindow([{ name: 'server', pid: serverPid }]);
    const jitBefore = jitCpuSeconds(serverPid);
    const before = process.cpuUsage();
    for (let i = 0; i < CPU_SAMPLES; i++) await command();
    const used = process.cpuUsage(before);
    const serverCpu = server.stop().processes[0]?.cpuSeconds;
    const serverSeconds = serverCpu === undefined ? undefined : serverCpu - (jitCpuSeconds(serverPid) - jitBefore);
    out[name] = {
      client: Math.round((used.user + used.system) / CPU_SAMPLES),
      server: serverSeconds === undefined ? null : Math.round((serverSeconds * 1e6) / CPU_SAMPLES),
    };
  }
  await db.dropDatabase();
  return out;
}
