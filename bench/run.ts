/**
 * npm run bench [-- --quick] [-- --only=saga,hot-sku,hot-account,scale,lag,append,lookups,rehydrate,replay,profile,fairness]
 * npm run bench -- --only=soak [--soak-minutes=10] [--soak-rate=3] [--soak-kinds=spread,hot] [--soak-storage=disk|memory]
 *
 * Obtains the servers the way the tests do (embedded Temporal dev server and MongoDB on random
 * ports, or TEMPORAL_ADDRESS / MONGODB_URI), runs every scenario next to its baseline in the same
 * run, prints a table, and writes bench/results/<date>.{json,md,svg} and latest.{json,md,svg}.
 * When the MongoDB server is ours (embedded), each scenario gets a fresh one: the stand-in's
 * oplog only grows, and its change streams rescan it, so one scenario's writes would slow the next.
 *
 * Profiles: BENCH_KEEP_PROFILE=1 keeps the profiled run's saga.cpuprofile (--only=profile; its
 * folder is logged), and BENCH_CPU_PROFILE_DIR=<dir> has every process of the split stack write
 * <role>.cpuprofile there when it stops (open either in Chrome DevTools or speedscope).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../config';
import { obtainServers } from '../servers';
import { obtainMongo } from '../servers/mongodb';
import { machineInfo, serverProcesses } from './lib/machine';
import { summarizeProfile, type ProfileSummary } from './lib/profile';
import { mongoCommandCpu, mongoRoundTrips, type CommandCpu } from './lib/round-trips';
import { writeResults } from './lib/report';
import { renderMarkdown, renderSvg, goals, consoleSummary } from './lib/render';
import { installRuntime, type ServerAddresses } from './lib/stack';
import { startSplitStack } from './lib/split-stack';
import { errorText, log } from './lib/util';
import { appendScenario } from './scenarios/append';
import { lagScenario } from './scenarios/lag';
import { lookupsScenario } from './scenarios/lookups';
import { rehydrateScenario } from './scenarios/rehydrate';
import { recordHistories, replayScenario, type RecordedHistories } from './scenarios/replay';
import { sagaScenario } from './scenarios/saga';
import { soakHalf, type SoakHalf } from './scenarios/soak';
import { hotSkuScenario } from './scenarios/hot-sku';
import { hotAccountScenario } from './scenarios/hot-account';
import { fairnessScenario, type FairnessOptions } from './scenarios/fairness';
import { scaleRows, type ScaleRun } from './lib/scale';
import { withDiskServers } from './lib/disk-servers';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wanted = (name: string) => !only || only.includes(name);
/** The soak runs only when named (--only=soak): it takes twice --soak-minutes. */
const numberArg = (name: string, fallback: number) => {
  const value = Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
};
const soakPlan = { minutes: numberArg('soak-minutes', 10), ratePerSecond: numberArg('soak-rate', 3) };
/** --soak-kinds=hot runs one half alone (both by default). */
const soakKinds = (args
  .find((a) => a.startsWith('--soak-kinds='))
  ?.slice('--soak-kinds='.length)
  .split(',') ?? ['spread', 'hot']) as Array<'spread' | 'hot'>;
/** --soak-storage=memory runs the soak on the in-memory servers; by default each half gets servers with their data on disk. */
const soakStorage = args.find((a) => a.startsWith('--soak-storage='))?.slice('--soak-storage='.length) ?? 'disk';
if (soakStorage !== 'disk' && soakStorage !== 'memory') throw new Error('--soak-storage must be disk or memory');

/** What each mode runs; the default fits in about 10 minutes on 2 cores, --quick in about 2. */
const plan = quick
  ? {
      saga: {
        levels: [
          { concurrency: 1, orders: 6 },
          { concurrency: 4, orders: 16 },
          { concurrency: 16, orders: 32 },
        ],
        warmup: 2,
      },
      profile: null,
      hotSku: { orders: 64, rounds: 1 },
      hotAccount: { orders: 64, rounds: 1, longStream: { events: 500, payments: 6 } },
      scale: { concurrency: 16, orders: 32, warmup: 2 },
      lag: { rates: [50, 100], seconds: 2 },
      append: { rounds: 1, secondsPerTurn: 1.5, concurrency: 8 },
      lookups: { background: 10_000, secondsPerTurn: 0.7 },
      rehydrate: {
        sizes: [10, 1_000, 10_000],
        bulkFrom: 10_000,
        repetitions: (n: number) => (n >= 10_000 ? 2 : n >= 1_000 ? 5 : 20),
      },
      replay: { replays: 60 },
      fairness: {
        flood: 100,
        customers: 10,
        ordersEach: 3,
        floodConcurrency: 20,
        floodRounds: 1,
        slots: { activity: 1 },
      } satisfies FairnessOptions,
    }
  : {
      saga: {
        levels: [
          { concurrency: 1, orders: 30 },
          { concurrency: 4, orders: 80 },
          { concurrency: 16, orders: 200 },
          { concurrency: 64, orders: 256 },
        ],
        warmup: 16,
        warmupRoundsMax: 6,
      },
      profile: { concurrency: 16, orders: 120 },
      hotSku: { orders: 64, rounds: 2 },
      hotAccount: { orders: 64, rounds: 2, longStream: { events: 500, payments: 12 } },
      scale: { concurrency: 16, orders: 96, warmup: 4 },
      lag: { rates: [50, 200], seconds: 12, sustained: { rate: 500, seconds: 60 } },
      append: { rounds: 3, secondsPerTurn: 3, concurrency: 8 },
      lookups: { background: 30_000, secondsPerTurn: 2 },
      rehydrate: {
        sizes: [10, 1_000, 100_000],
        bulkFrom: 10_000,
        repetitions: (n: number) => (n >= 100_000 ? 3 : n >= 1_000 ? 15 : 50),
      },
      replay: { replays: 300 },
      fairness: {
        flood: 500,
        customers: 20,
        ordersEach: 5,
        floodConcurrency: 50,
        floodRounds: 3,
        slots: { activity: 1 },
      } satisfies FairnessOptions,
    };

async function main() {
  const startedAt = new Date();
  log(`mode: ${quick ? 'quick' : 'default'}${only ? ` (only ${only.join(', ')})` : ''}`);
  installRuntime();
  const config = loadConfig();
  const servers = await obtainServers(config, 'ephemeral', log);
  const ownMongo = servers.mongo.source !== 'MONGODB_URI';
  const connection = await Connection.connect({ address: servers.temporal.address });
  const results: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  let firstMongoUsed = false;

  /** A MongoDB for one scenario: the first gets the one obtained at start, later ones a fresh one when it is ours. */
  async function withMongo<T>(name: string, fn: (uri: string) => Promise<T>): Promise<T | undefined> {
    let uri = servers.mongo.uri;
    let stop = async () => {};
    if (ownMongo && firstMongoUsed) {
      const fresh = await obtainMongo({ config, mode: 'ephemeral', progress: () => {} });
      uri = fresh.uri;
      stop = () => fresh.stop();
    }
    firstMongoUsed = true;
    try {
      return await fn(uri);
    } catch (err) {
      failures[name] = errorText(err);
      log(`${name}: FAILED ${failures[name]}`);
      if (process.env.BENCH_DEBUG) console.error(err);
      return undefined;
    } finally {
      await stop().catch(() => {});
    }
  }
  const withDb = <T>(name: string, fn: (client: MongoClient, uri: string) => Promise<T>) =>
    withMongo(name, async (uri) => {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
      await client.connect();
      try {
        return await fn(client, uri);
      } finally {
        await client.close();
      }
    });

  let mongoVersion: string | null = null;
  let mongoRoundTripsUs: Record<string, number> | undefined;
  let mongoCommandCpuUs: CommandCpu | undefined;
  {
    const client = new MongoClient(servers.mongo.uri, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    const info = await client.db('admin').command({ buildInfo: 1 });
    mongoVersion = `${info.version}${info.gitVersion ? '' : ' (reported by the stand-in)'}`;
    mongoRoundTripsUs = await mongoRoundTrips(client.db(`bench_round_trips_${Date.now()}`));
    mongoCommandCpuUs = await mongoCommandCpu(
      client.db(`bench_command_cpu_${Date.now()}`),
      serverProcesses(servers.mongo.uri, '').java?.pid,
    );
    await client.close();
  }
  const machine = await machineInfo({
    temporal: servers.temporal,
    mongo: servers.mongo,
    connection,
    mongoVersion,
    mongoRoundTripsUs,
    mongoCommandCpuUs,
  });
  log(
    `machine: ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, Temporal ${machine.temporal.serverVersion} (${machine.temporal.source}), MongoDB ${machine.mongodb.source} ${mongoVersion}, load ${machine.loadAverageAtStart.join(' ')}`,
  );

  let recorded: RecordedHistories[] | undefined;
  try {
    if (wanted('saga') || wanted('replay')) {
      await withMongo('saga', async (uri) => {
        const stack = await startSplitStack({
          temporalAddress: servers.temporal.address,
          namespace: servers.temporal.namespace,
          mongodbUri: uri,
        });
        try {
          const saga = await sagaScenario(stack, plan.saga);
          results.saga = saga;
          if (wanted('replay'))
            recorded = await recordHistories(stack.client, {
              sagaIds: saga.workflowIds,
              baselineIds: saga.baselineWorkflowIds,
              minimalIds: saga.minimalWorkflowIds,
            });
        } finally {
          await stack.stop();
        }
      });
    }
    if (wanted('hot-sku')) {
      await withMongo('hot-sku', async (uri) => {
        const stack = await startSplitStack(
          { temporalAddress: servers.temporal.address, namespace: servers.temporal.namespace, mongodbUri: uri },
          { baselines: false },
        );
        try {
          results.hotSku = await hotSkuScenario(stack, plan.hotSku);
        } finally {
          await stack.stop();
        }
      });
    }
    if (wanted('hot-account')) {
      await withMongo('hot-account', async (uri) => {
        const stack = await startSplitStack(
          { temporalAddress: servers.temporal.address, namespace: servers.temporal.namespace, mongodbUri: uri },
          { baselines: false },
        );
        try {
          results.hotAccount = await hotAccountScenario(stack, plan.hotAccount);
        } finally {
          await stack.stop();
        }
      });
    }
    if (wanted('scale')) {
      const runs: ScaleRun[] = [];
      // The one-process run (one worker, one read side) is the base of both kinds.
      const configs = [
        { workers: 1, readSides: 1 },
        { workers: 2, readSides: 1 },
        { workers: 3, readSides: 1 },
        { workers: 1, readSides: 2 },
      ];
      for (const { workers, readSides } of configs) {
        await withMongo(`scale (${workers} workers, ${readSides} read sides)`, async (uri) => {
          log(`scale: ${workers} worker process(es), ${readSides} read-side process(es)`);
          const stack = await startSplitStack(
            { temporalAddress: servers.temporal.address, namespace: servers.temporal.namespace, mongodbUri: uri },
            { workers, readSides, baselines: false },
          );
          try {
            const { concurrency, orders, warmup } = plan.scale;
            const saga = await sagaScenario(stack, {
              levels: [{ concurrency, orders }],
              warmup,
              oursOnly: true,
              rounds: 1,
              keepWorkflowIds: 0,
            });
            const l = saga.levels[0]!;
            const cpu = l.work!.ours!.cpu;
            const run = (what: ScaleRun['what'], processes: number): ScaleRun => ({
              what,
              processes,
              concurrency,
              orders: l.ours.orders,
              perSecond: l.ours.perSecond,
              p50: l.ours.latencyMs.p50,
              p99: l.ours.latencyMs.p99,
              readableP50: l.ours.readModelMs.p50,
              readableP99: l.ours.readModelMs.p99,
              readablePerSecond: l.ours.readablePerSecond ?? NaN,
              cpuMsPerSaga: cpu.byKind,
              cpuMsTotal: cpu.total,
              loadAverage: l.rounds[0]?.loadAverage ?? NaN,
            });
            if (readSides === 1) runs.push(run('workers', workers));
            if (workers === 1) runs.push(run('read sides', readSides));
          } finally {
            await stack.stop();
          }
        });
      }
      results.scale = { rows: scaleRows(runs) };
    }
    if (plan.profile && wanted('profile')) {
      await withMongo('profile', (uri) =>
        profileRun(uri, servers.temporal.address, servers.temporal.namespace, plan.profile).then(
          (p) => void (results.profile = p),
        ),
      );
    }
    if (wanted('lag')) {
      await withDb('lag', async (client, uri) => {
        // The full run also profiles one projector process: where the time goes when a goal is missed.
        const dir = quick ? null : mkdtempSync(path.join(os.tmpdir(), 'bench-lag-'));
        const profileFile = dir ? path.join(dir, 'projector.cpuprofile') : undefined;
        const lag = await lagScenario(client.db(`bench_lag_${Date.now()}`), uri, {
          ...plan.lag,
          ...(profileFile && { profileFile }),
        });
        const projectorProfile = profileFile && existsSync(profileFile) ? summarizeProfile(profileFile, root) : null;
        if (dir) rmSync(dir, { recursive: true, force: true });
        results.lag = { ...lag, projectorProfile };
      });
    }
    if (wanted('append'))
      await withDb(
        'append',
        async (client) =>
          void (results.append = await appendScenario(client, client.db(`bench_append_${Date.now()}`), plan.append)),
      );
    if (wanted('lookups'))
      await withDb(
        'lookups',
        async (client) =>
          void (results.lookups = await lookupsScenario(client.db(`bench_lookups_${Date.now()}`), plan.lookups)),
      );
    if (wanted('rehydrate'))
      await withDb(
        'rehydrate',
        async (client) =>
          void (results.rehydrate = await rehydrateScenario(
            client,
            client.db(`bench_rehydrate_${Date.now()}`),
            plan.rehydrate,
          )),
      );
    if (only?.includes('soak')) {
      const halves: SoakHalf[] = [];
      const half = async (kind: 'spread' | 'hot', addresses: ServerAddresses) => {
        const stack = await startSplitStack(addresses, { baselines: false });
        try {
          halves.push(await soakHalf(stack, kind, soakPlan));
        } finally {
          await stack.stop();
        }
      };
      for (const kind of soakKinds)
        if (soakStorage === 'disk')
          await withDiskServers(config, log, (addresses) => half(kind, addresses)).catch((err: unknown) => {
            failures[`soak (${kind})`] = errorText(err);
            log(`soak (${kind}): FAILED ${failures[`soak (${kind})`]}`);
          });
        else
          await withMongo(`soak (${kind})`, (uri) =>
            half(kind, {
              temporalAddress: servers.temporal.address,
              namespace: servers.temporal.namespace,
              mongodbUri: uri,
            }),
          );
      results.soak = {
        storage: soakStorage,
        halves,
        oplogCap: servers.mongo.source === 'mongo-java-server' ? config.MONGODB_STANDIN_OPLOG_ENTRIES : null,
      };
    }
    // Only when named (--only=fairness): it runs the worker with capped task slots, a few minutes.
    if (only?.includes('fairness')) {
      // --fairness-slots=A[,W]: the worker's activity slots, and its workflow task slots when capped too.
      const asked = args
        .find((a) => a.startsWith('--fairness-slots='))
        ?.slice('--fairness-slots='.length)
        .split(',')
        .map(Number);
      if (asked?.some((n) => !(Number.isInteger(n) && n > 0)))
        throw new Error('--fairness-slots is one or two positive integers');
      const slots: FairnessOptions['slots'] = asked
        ? { activity: asked[0]!, ...(asked[1] !== undefined && { workflowTask: asked[1] }) }
        : plan.fairness.slots;
      // --fairness-rounds=N: flood rounds, each between two rounds of the other customers alone.
      const rounds = args.find((a) => a.startsWith('--fairness-rounds='))?.slice('--fairness-rounds='.length);
      if (rounds !== undefined && !(Number.isInteger(Number(rounds)) && Number(rounds) > 0))
        throw new Error('--fairness-rounds is a positive integer');
      const floodRounds = rounds === undefined ? plan.fairness.floodRounds : Number(rounds);
      await withMongo('fairness', async (uri) => {
        // The stack's processes read their config from the environment: the caps go there.
        const saved = [process.env.WORKER_MAX_ACTIVITY_SLOTS, process.env.WORKER_MAX_WORKFLOW_TASK_SLOTS];
        process.env.WORKER_MAX_ACTIVITY_SLOTS = String(slots.activity);
        if (slots.workflowTask !== undefined) process.env.WORKER_MAX_WORKFLOW_TASK_SLOTS = String(slots.workflowTask);
        const stack = await startSplitStack(
          { temporalAddress: servers.temporal.address, namespace: servers.temporal.namespace, mongodbUri: uri },
          { baselines: false },
        ).finally(() => {
          const restore = (name: string, value: string | undefined) =>
            value === undefined ? delete process.env[name] : (process.env[name] = value);
          restore('WORKER_MAX_ACTIVITY_SLOTS', saved[0]);
          restore('WORKER_MAX_WORKFLOW_TASK_SLOTS', saved[1]);
        });
        try {
          results.fairness = await fairnessScenario(stack, { ...plan.fairness, slots, floodRounds });
        } finally {
          await stack.stop();
        }
      });
    }
    // Last: see replayScenario.
    if (recorded) {
      try {
        results.replay = await replayScenario(recorded, config, { replays: plan.replay.replays });
      } catch (err) {
        failures.replay = errorText(err);
        log(`replay: FAILED ${failures.replay}`);
      }
    }
  } finally {
    await connection.close();
    await servers.stop();
  }

  const finishedAt = new Date();
  // A partial run names its scenarios and start time, so runs of one day do not overwrite each other.
  const partial = only ? `-partial-${only.join('+')}-${startedAt.toISOString().slice(11, 19).replaceAll(':', '')}` : '';
  const stem = `${startedAt.toISOString().slice(0, 10)}${quick ? '-quick' : ''}${partial}`;
  const report = {
    mode: quick ? 'quick' : 'default',
    chart: `${stem}.svg`,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    mongoPerScenario: ownMongo
      ? 'a fresh embedded server per scenario'
      : 'the server from MONGODB_URI, a fresh database per scenario',
    goals: [] as ReturnType<typeof goals>,
    results,
    failures,
  };
  report.goals = goals(report);
  // A partial run (--only) never replaces latest.*, the full run docs/performance.md shows.
  const files = writeResults(
    path.join(root, 'bench', 'results'),
    stem,
    report,
    renderMarkdown(report),
    renderSvg(report),
    !only,
  );
  console.log(`\n${consoleSummary(report)}\n`);
  log(
    `wrote ${files.map((f) => path.relative(root, f)).join(', ')}${only ? '' : ' (and latest.*)'} in ${report.durationSeconds} s`,
  );
  // A broken promise (an order neither completed nor refused for stock, stock lost or made; money
  // lost or made, an order from a funded account not completed) fails the run.
  for (const name of ['hot-sku', 'hot-account'])
    if (failures[name]) {
      console.error(`${name} FAILED: ${failures[name]}`);
      process.exitCode = 1;
    }
}

/**
 * Scenario 1 again, our side only, in a child process whose main thread is profiled with V8's CPU
 * profiler (the same one `node --cpu-prof` uses, started once the worker is bundled so the
 * profile shows the load, not the start-up), while this process samples the CPU time of the child
 * (by thread), the MongoDB server and the Temporal server from /proc.
 */
async function profileRun(
  mongoUri: string,
  temporalAddress: string,
  namespace: string,
  opts: { concurrency: number; orders: number },
): Promise<unknown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
  const profileFile = path.join(dir, 'saga.cpuprofile');
  log(`profile: scenario 1 at C=${opts.concurrency}, ${opts.orders} orders, in a profiled child process`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'profile-child.ts')], {
    cwd: root,
    env: {
      ...process.env,
      BENCH_TEMPORAL_ADDRESS: temporalAddress,
      BENCH_TEMPORAL_NAMESPACE: namespace,
      BENCH_MONGODB_URI: mongoUri,
      BENCH_CONCURRENCY: String(opts.concurrency),
      BENCH_ORDERS: String(opts.orders),
      BENCH_PROFILE_FILE: profileFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let result: unknown;
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      if (line.startsWith('PROFILE-RESULT ')) result = JSON.parse(line.slice('PROFILE-RESULT '.length));
      else console.log(`  [profiled] ${line}`);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0)
    throw new Error(`profiled child exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  let summary: ProfileSummary | null = null;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file) summary = summarizeProfile(path.join(dir, file), root);
  if (!process.env.BENCH_KEEP_PROFILE) rmSync(dir, { recursive: true, force: true });
  else log(`profile kept in ${dir}`);
  const procs = serverProcesses(mongoUri, temporalAddress);
  return {
    concurrency: opts.concurrency,
    orders: opts.orders,
    run: result,
    mainThread: summary,
    processes: { mongo: procs.java?.cmd[0] ?? null, temporal: procs.temporal?.cmd[0] ?? null },
  };
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
