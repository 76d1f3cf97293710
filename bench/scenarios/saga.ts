import { BASELINE_WORKFLOW_NAMES, type NoopSagaWorkflow } from '../baseline/client';
import { MINIMAL_WORKFLOW_NAMES, type MinimalSagaWorkflow } from '../minimal/client';
import { MINIMAL_EVENTS } from '../minimal/activities';
import { startMinimalReadable } from '../minimal/readable';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createAccountService } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import {
  addTallies,
  commandRows,
  EVENT_STORE_COLLECTIONS,
  processTotal,
  commandsPerProcess,
  since,
  type LevelCommands,
  type Tallies,
} from '../lib/command-count';
import { addBytes, bytesPerSaga, bytesSince, type ByteKind, type ByteTallies } from '../lib/bytes-written';
import { cpuWindow, jitCpuSeconds, type CpuReport } from '../lib/cpu';
import { createApiClient } from '../../api/client';
import { checkThroughApi, startOrderReadable } from '../lib/order-readable';
import type { SplitStack } from '../lib/split-stack';
import { cpuPerSaga, type CpuPerSaga, type Side } from '../lib/work';
import { stepTimings } from '../lib/step-timing';
import { sidesInRound } from '../lib/turns';
import { closedLoop, log, now, ratio, round, sleep, summarize, type LatencySummary } from '../lib/util';

/** One round of one side: the machine's load while it ran, and whether outside load was heavy. */
export interface SagaRound {
  side: 'baseline' | 'minimal' | 'ours';
  round: number;
  items: number;
  seconds: number;
  perSecond: number;
  p50: number;
  /** 1-minute load average as the round started. */
  loadAverage: number;
  /** Cores busy on the machine outside the bench's own processes (the bench process, MongoDB, Temporal), averaged over the round. */
  outsideCores: number | null;
  /** Outside load above half a core: this round's figures are suspect. */
  heavyOutsideLoad: boolean;
}

export interface SagaLevelResult {
  concurrency: number;
  ours: {
    orders: number;
    seconds: number;
    perSecond: number;
    latencyMs: LatencySummary;
    failed: number;
    cpu: CpuReport;
    readModelMs: LatencySummary;
    /** Orders readable per second: the rounds' orders over the time from each round's start until its last order was readable. */
    readablePerSecond?: number;
  };
  baseline: {
    workflows: number;
    seconds: number;
    perSecond: number;
    latencyMs: LatencySummary;
    failed: number;
    cpu: CpuReport;
  };
  /** The minimal durable saga (bench/minimal/): five activities of one insert each, one bare change-stream watcher. */
  minimal?: {
    workflows: number;
    seconds: number;
    perSecond: number;
    latencyMs: LatencySummary;
    failed: number;
    cpu: CpuReport;
    /** From the start to the read that saw all five events in its read-model document. */
    readModelMs: LatencySummary;
  };
  throughputRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  /** Ours against the minimal durable saga. */
  minimalRatios?: { throughput: number; p50: number; p99: number };
  rounds: SagaRound[];
  /** MongoDB commands per process and step while our rounds ran (each round until its orders were readable), and the sagas they completed. */
  commands: LevelCommands;
  /** Work per saga of each side, over all its rounds at this level (each round until its read models were written). */
  work?: Partial<Record<Side, SideWork>>;
  /**
   * The bench's check that the API answers COMPLETED for each of our orders (GET /orders/:id), made
   * after each round's window closed, so not in `work`: what it cost per GET.
   */
  apiCheck?: { gets: number; cpuPerGet: CpuPerSaga; commandsPerGet: Record<string, number> };
  /** CPU seconds the MongoDB server's JIT compiler threads used over the level, every side's rounds together. */
  mongoJitCpuSeconds?: number;
}

export interface SideWork {
  sagas: number;
  cpu: CpuPerSaga;
  commands: LevelCommands;
  bytesPerSaga: Record<ByteKind, number>;
}

/** What the scenario needs of a stack: the split one (bench/lib/split-stack.ts), or the in-process one for the profiled run. */
export type SagaStack = Pick<
  SplitStack,
  | 'config'
  | 'mongo'
  | 'client'
  | 'baseUrl'
  | 'baselineTaskQueue'
  | 'minimalTaskQueue'
  | 'cpuTargets'
  | 'work'
  | 'pause'
  | 'resume'
>;

export interface SagaOptions {
  levels: Array<{ concurrency: number; orders: number }>;
  warmup: number;
  /** Ids of a few completed sagas, kept for the replay scenario. */
  keepWorkflowIds?: number;
  /** Only our side (the profiling run). */
  oursOnly?: boolean;
  /** Run the minimal durable saga beside the no-op baseline (default true). */
  minimal?: boolean;
  /** Each level runs the baselines and ours in this many rounds (default 3). */
  rounds?: number;
  /** Warm-up rounds (`warmup` orders of each side each) until the MongoDB server's JIT settles (default 1). */
  warmupRoundsMax?: number;
}

/** A warm-up round: how long it took and how busy the MongoDB server's JIT compiler threads were. */
export interface WarmupRound {
  seconds: number;
  jitCores: number;
}

/** The JIT counts as settled once its compiler threads use less than this over a warm-up round. */
const JIT_SETTLED_CORES = 0.05;

const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const SKUS = Array.from({ length: 20 }, (_, i) => `BENCH-${i.toString().padStart(2, '0')}`);

/**
 * Scenario 1. Ours: POST /orders (Update-with-Start) -> the saga's result. Baseline: the bench-only
 * five-no-op-activity workflow started with the client, start -> result. Both end at the workflow
 * result, so the ratio compares like with like; when each order became readable (its read-model
 * document shows COMPLETED) is measured beside it and reported on its own, and the API's answer
 * for each order is checked after its round's window. Same Temporal server, same
 * worker settings, same process; each level alternates baseline and ours in rounds, so a change in
 * outside load falls on both sides, and every round records the load it ran under. The no-op side
 * runs first in each round; ours and the minimal saga swap places every round (`sidesInRound`), so
 * neither always pays for the other's tail of work.
 */
export async function sagaScenario(stack: SagaStack, options: SagaOptions) {
  const { db } = stack.mongo;
  const cpuTargets = stack.cpuTargets;
  const withMinimal = !options.oursOnly && options.minimal !== false;

  log('saga: stocking 20 SKUs and opening accounts');
  const api = createApiClient({ baseUrl: stack.baseUrl });
  for (const sku of SKUS) {
    const { error, response } = await api.POST('/inventory', { body: { sku, quantity: 1_000_000, price: 100 } });
    if (response.status !== 200) throw new Error(`restock failed: ${response.status} ${JSON.stringify(error)}`);
  }
  const maxC = Math.max(...options.levels.map((l) => l.concurrency));
  const accounts = createAccountService({ store: createEventStore(db) });
  const accountIds: string[] = [];
  for (let i = 0; i < maxC; i++)
    accountIds.push((await accounts.openAccount({ owner: `bench-${i}`, initialDeposit: 1_000_000_000 })).accountId);

  const visibility = startOrderReadable(db);
  // Orders placed since the API last answered for them (checkThroughApi, outside the rounds' windows).
  const unchecked: string[] = [];
  const orderOnce = async (user: number, i: number): Promise<number> => {
    const t0 = now();
    const {
      data: placed,
      error,
      response,
    } = await api.POST('/orders', {
      body: {
        customerId: `cust-${user}`,
        accountId: accountIds[user % accountIds.length]!,
        items: [{ sku: SKUS[i % SKUS.length]!, quantity: 1 }],
        shippingAddress: address,
      },
    });
    if (response.status !== 202 || !placed)
      throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(error)}`);
    unchecked.push(placed.orderId);
    const readable = visibility.completed(placed.orderId, t0).then((ms) => void readModelLatencies.push(ms));
    readable.catch(() => {});
    readableWaits.push(readable);
    const result = await stack.client.workflow.getHandle(placed.workflowId).result();
    if (result.status !== 'COMPLETED') throw new Error(`order ${placed.orderId} ended ${result.status}`);
    return now() - t0;
  };
  const readModelLatencies: number[] = [];
  const readableWaits: Promise<unknown>[] = [];
  const baselineIds: string[] = [];
  const baselineOnce = async (): Promise<number> => {
    const t0 = now();
    const workflowId = `bench-noop-${randomUUID()}`;
    if (baselineIds.length < 10) baselineIds.push(workflowId);
    const handle = await stack.client.workflow.start<NoopSagaWorkflow>(BASELINE_WORKFLOW_NAMES.noopSaga, {
      taskQueue: stack.baselineTaskQueue,
      workflowId,
      args: [{ orderId: randomUUID() }],
    });
    await handle.result();
    return now() - t0;
  };
  // The minimal side's orders are watched with the same instrument as ours, during its own rounds.
  const minimalVisibility = startMinimalReadable(db);
  const minimalReadModelLatencies: number[] = [];
  const minimalReadableWaits: Promise<unknown>[] = [];
  const minimalReadable = () => Promise.all(minimalReadableWaits.splice(0));
  const minimalIds: string[] = [];
  const minimalOnce = async (): Promise<number> => {
    const t0 = now();
    const orderId = randomUUID();
    if (minimalIds.length < 10) minimalIds.push(`bench-minimal-${orderId}`);
    minimalReadableWaits.push(
      minimalVisibility.completed(orderId, t0).then((ms) => void minimalReadModelLatencies.push(ms)),
    );
    const handle = await stack.client.workflow.start<MinimalSagaWorkflow>(MINIMAL_WORKFLOW_NAMES.minimalSaga, {
      taskQueue: stack.minimalTaskQueue,
      workflowId: `bench-minimal-${orderId}`,
      args: [{ orderId }],
    });
    await handle.result();
    return now() - t0;
  };

  // The embedded MongoDB stand-in is a JVM: its JIT compiles the hot paths over the first tens of
  // seconds of work, a one-off cost that would otherwise be charged to whichever side's rounds it
  // fell in (mostly the first level's). Warm-up rounds go on until its compiler threads have gone
  // quiet, or for at most warmupRoundsMax rounds; the report lists what each used.
  // Each customer the levels use places one order first: what a customer costs once (its data key,
  // the API's fold of its account) is then not charged to the level where it first appears.
  await closedLoop(maxC, Math.min(4, maxC), async (u) => void (await orderOnce(u, u)));
  await Promise.allSettled(readableWaits.splice(0));
  await checkThroughApi(api, unchecked.splice(0));
  const jvm = cpuTargets.find((t) => t.kind === 'MongoDB')?.pid;
  const warmupRounds: WarmupRound[] = [];
  for (let r = 0; r < (options.warmupRoundsMax ?? 1); r++) {
    const jit0 = jitCpuSeconds(jvm);
    const t0 = now();
    await closedLoop(options.warmup, Math.min(4, options.warmup), async (i) => void (await orderOnce(i % maxC, i)));
    if (!options.oursOnly)
      await closedLoop(options.warmup, Math.min(4, options.warmup), async () => void (await baselineOnce()));
    if (withMinimal)
      await closedLoop(options.warmup, Math.min(4, options.warmup), async () => void (await minimalOnce()));
    await Promise.allSettled(readableWaits.splice(0));
    await checkThroughApi(api, unchecked.splice(0));
    if (withMinimal) await minimalReadable();
    const seconds = (now() - t0) / 1000;
    const jitCores = round((jitCpuSeconds(jvm) - jit0) / seconds);
    warmupRounds.push({ seconds: round(seconds), jitCores });
    log(`saga: warm-up round ${r + 1}: ${seconds.toFixed(1)} s, the MongoDB server's JIT compiler ${jitCores} cores`);
    if (jvm === undefined || jitCores < JIT_SETTLED_CORES) break;
  }

  /** One round of a side: its readers on and the others' paused, timed to the last result, its CPU and work counted until its read models are written. */
  const roundOf_ = async (
    side: Side,
    r: number,
    concurrency: number,
    total: number,
    once: (u: number, i: number) => Promise<number>,
    settle: () => Promise<unknown>,
  ) => {
    for (const other of ['ours', 'minimal'] as const) if (other !== side) await stack.pause(other);
    if (side !== 'noop') await stack.resume(side);
    await sleep(300);
    const loadAverage = os.loadavg()[0]!;
    const workFrom = await stack.work(side);
    const cpu = cpuWindow(cpuTargets);
    const t0 = now();
    const m = await measure(total, concurrency, once);
    await settle();
    const untilReadable = (now() - t0) / 1000;
    const window = cpu.stop();
    const work = await stack.work(side);
    const measured = { ...m, cpu: window };
    // The API's answer for each of the round's orders, in a window of its own.
    const checkCpu = cpuWindow(cpuTargets);
    const checked = await checkThroughApi(api, unchecked.splice(0));
    const apiCheck = {
      gets: checked,
      cpu: checkCpu.stop(),
      commands: since((await stack.work(side)).commands, work.commands),
    };
    return {
      apiCheck,
      m: measured,
      untilReadable,
      round: roundOf(side === 'noop' ? 'baseline' : side, r, measured, loadAverage),
      commands: since(work.commands, workFrom.commands),
      bytes: bytesSince(work.bytes, workFrom.bytes),
    };
  };

  const levels: SagaLevelResult[] = [];
  const c1Ids: string[] = [];
  const roundsPerLevel = options.rounds ?? 3;
  // Counted over the levels, so that ours and the minimal saga swap places evenly over the run.
  let roundsRun = 0;
  for (const { concurrency, orders } of options.levels) {
    const perRound = Math.max(concurrency, Math.ceil(orders / roundsPerLevel));
    const jitAtStart = jitCpuSeconds(jvm);
    const runs: Record<Side, Measured[]> = { noop: [], minimal: [], ours: [] };
    const counted: Record<Side, { commands: LevelCommands; bytes: ByteTallies }> = {
      noop: { commands: { sagas: 0, tallies: {} }, bytes: {} },
      minimal: { commands: { sagas: 0, tallies: {} }, bytes: {} },
      ours: { commands: { sagas: 0, tallies: {} }, bytes: {} },
    };
    const rounds: SagaRound[] = [];
    const apiChecks = { gets: 0, windows: [] as CpuReport[], commands: {} as Tallies };
    let readableSeconds = 0;
    readModelLatencies.length = 0;
    minimalReadModelLatencies.length = 0;
    type SideRun = [Side, (u: number, i: number) => Promise<number>, () => Promise<unknown>];
    const sides: SideRun[] = [];
    if (!options.oursOnly) sides.push(['noop', () => baselineOnce(), async () => {}]);
    if (withMinimal) sides.push(['minimal', () => minimalOnce(), minimalReadable]);
    // Outside the timing: every order of the round readable before the next round starts, and counted until then.
    sides.push(['ours', (u, i) => orderOnce(u, i), () => Promise.allSettled(readableWaits.splice(0))]);
    for (let r = 0; r < roundsPerLevel; r++) {
      for (const [side, once, settle] of sidesInRound(sides, roundsRun)) {
        const done = await roundOf_(side, r, concurrency, perRound, once, settle);
        runs[side].push(done.m);
        if (side === 'ours') readableSeconds += done.untilReadable;
        if (done.apiCheck.gets > 0) {
          apiChecks.gets += done.apiCheck.gets;
          apiChecks.windows.push(done.apiCheck.cpu);
          apiChecks.commands = addTallies(apiChecks.commands, done.apiCheck.commands);
        }
        rounds.push(done.round);
        counted[side].commands.tallies = addTallies(counted[side].commands.tallies, done.commands);
        counted[side].commands.sagas += done.m.latencies.length;
        counted[side].bytes = addBytes(counted[side].bytes, done.bytes);
      }
      roundsRun++;
      log(
        `saga: C=${concurrency} round ${r + 1}/${roundsPerLevel}: ${rounds
          .slice(-sides.length)
          .map(
            (x) =>
              `${x.side} ${x.perSecond}/s p50 ${x.p50} ms (load ${x.loadAverage.toFixed(1)}${x.heavyOutsideLoad ? ', HEAVY outside load' : ''})`,
          )
          .join(' | ')}`,
      );
    }
    await stack.resume('ours');
    if (concurrency === 1) c1Ids.push(...visibility.completedIds().slice(-10));
    const empty = {
      seconds: NaN,
      perSecond: NaN,
      latency: summarize([]),
      failed: 0,
      cpu: { seconds: 0, processes: [], machineBusyCores: null } as CpuReport,
    };
    const ours = pooled(runs.ours);
    const base = options.oursOnly ? empty : pooled(runs.noop);
    const minimal = withMinimal ? pooled(runs.minimal) : undefined;
    const sideOf = (m: ReturnType<typeof pooled>, n: number) => ({
      workflows: n,
      seconds: m.seconds,
      perSecond: m.perSecond,
      latencyMs: m.latency,
      failed: m.failed,
      cpu: m.cpu,
    });
    const count = (side: Side) => runs[side].reduce((n, m) => n + m.latencies.length, 0);
    const workOf = (side: Side, eventCollections: ReadonlySet<string>): SideWork => ({
      sagas: counted[side].commands.sagas,
      cpu: cpuPerSaga(
        runs[side].map((m) => m.cpu),
        cpuTargets,
        side,
        counted[side].commands.sagas,
      ),
      commands: counted[side].commands,
      bytesPerSaga: bytesPerSaga(counted[side].bytes, counted[side].commands.sagas, eventCollections),
    });
    const level: SagaLevelResult = {
      concurrency,
      mongoJitCpuSeconds: round(jitCpuSeconds(jvm) - jitAtStart),
      ours: {
        orders: count('ours'),
        seconds: ours.seconds,
        perSecond: ours.perSecond,
        latencyMs: ours.latency,
        failed: ours.failed,
        cpu: ours.cpu,
        readModelMs: summarize(readModelLatencies),
        readablePerSecond: round(count('ours') / readableSeconds),
      },
      baseline: sideOf(base, count('noop')),
      ...(minimal && {
        minimal: { ...sideOf(minimal, count('minimal')), readModelMs: summarize(minimalReadModelLatencies) },
        minimalRatios: {
          throughput: ratio(ours.perSecond, minimal.perSecond),
          p50: ratio(ours.latency.p50, minimal.latency.p50),
          p99: ratio(ours.latency.p99, minimal.latency.p99),
        },
      }),
      throughputRatio: ratio(ours.perSecond, base.perSecond),
      p50Ratio: ratio(ours.latency.p50, base.latency.p50),
      p99Ratio: ratio(ours.latency.p99, base.latency.p99),
      rounds,
      commands: counted.ours.commands,
      apiCheck: {
        gets: apiChecks.gets,
        cpuPerGet: cpuPerSaga(apiChecks.windows, cpuTargets, 'ours', apiChecks.gets),
        commandsPerGet: commandsPerProcess(apiChecks.commands, apiChecks.gets),
      },
      work: {
        ours: workOf('ours', EVENT_STORE_COLLECTIONS),
        ...(!options.oursOnly && { noop: workOf('noop', new Set()) }),
        ...(withMinimal && { minimal: workOf('minimal', new Set([MINIMAL_EVENTS])) }),
      },
    };
    log(
      `saga: C=${concurrency} ours ${ours.perSecond}/s p50 ${ours.latency.p50} ms p99 ${ours.latency.p99} ms (readable p50 ${level.ours.readModelMs.p50} ms) | no-op ${base.perSecond}/s p50 ${base.latency.p50} ms${minimal ? ` | minimal ${minimal.perSecond}/s p50 ${minimal.latency.p50} ms` : ''} | vs no-op: throughput ${level.throughputRatio}, p50 ${level.p50Ratio}${level.minimalRatios ? ` | vs minimal: throughput ${level.minimalRatios.throughput}, p50 ${level.minimalRatios.p50}` : ''}`,
    );
    const rows = commandRows(counted.ours.commands, { groupCommitShared: concurrency > 1 });
    log(
      `saga: C=${concurrency} MongoDB commands per saga: worker ${round(processTotal(rows, 'worker'))}, API ${round(processTotal(rows, 'api'))}, read side ${round(processTotal(rows, 'read side'))}; CPU ms per saga: ${Object.entries(
        level.work!,
      )
        .map(([side, w]) => `${side} ${w.cpu.total} (the MongoDB server's JIT ${w.cpu.mongoJit})`)
        .join(', ')}`,
    );
    levels.push(level);
  }
  visibility.stop();
  minimalVisibility.stop();

  // A few completed sagas of this run, for the replay scenario.
  const keep = options.keepWorkflowIds ?? 3;
  const ids = visibility
    .completedIds()
    .slice(-keep)
    .map((orderId) => `order-${orderId}`);
  // Where a saga's time goes, read from the histories of sagas run one at a time (C=1).
  const steps = await stepBreakdown(
    stack.client,
    c1Ids.map((orderId) => `order-${orderId}`),
    baselineIds.slice(0, 10),
  );
  return {
    levels,
    workflowIds: ids,
    baselineWorkflowIds: baselineIds.slice(-keep),
    minimalWorkflowIds: minimalIds.slice(-keep),
    steps,
    payloadEncryption: Boolean(stack.config.PAYLOAD_KEYS?.size),
    warmup: {
      ordersPerRound: options.warmup,
      rounds: warmupRounds,
      settledBelowCores: JIT_SETTLED_CORES,
      customersPrimed: maxC,
    },
    idle: options.oursOnly ? null : await idleCpu(stack, cpuTargets),
  };
}

/** One row per step: p50 ms from scheduled to started (the wait for a worker) and from started to completed (the work). */
export interface StepRow {
  side: 'ours' | 'baseline';
  step: string;
  waitMs: number;
  workMs: number;
  count: number;
}

async function stepBreakdown(
  client: SagaStack['client'],
  sagaIds: string[],
  baselineWorkflowIds: string[],
): Promise<StepRow[]> {
  const rows: StepRow[] = [];
  for (const [side, ids] of [
    ['ours', sagaIds],
    ['baseline', baselineWorkflowIds],
  ] as const) {
    const samples = new Map<string, { wait: number[]; work: number[] }>();
    const add = (step: string, wait: number, work: number) => {
      const entry = samples.get(step) ?? { wait: [], work: [] };
      entry.wait.push(wait);
      entry.work.push(work);
      samples.set(step, entry);
    };
    for (const id of ids) {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      for (const { step, waitMs, workMs } of stepTimings(events)) add(step, waitMs, workMs);
    }
    for (const [step, { wait, work }] of samples)
      rows.push({ side, step, waitMs: summarize(wait).p50, workMs: summarize(work).p50, count: work.length });
  }
  return rows;
}

async function measure(total: number, concurrency: number, once: (user: number, i: number) => Promise<number>) {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, user) => {
      while (next < total) {
        const i = next++;
        try {
          latencies.push(await once(user, i));
        } catch (err) {
          failed++;
          if (failed <= 3) log(`  failure: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  const seconds = (now() - t0) / 1000;
  return {
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds),
    latency: summarize(latencies),
    latencies,
    failed,
  };
}

type Measured = Awaited<ReturnType<typeof measure>> & { cpu: CpuReport };

/** A side's rounds together: all its latencies, its items over its own time (the other side's rounds excluded). */
function pooled(runs: Measured[]): Omit<Measured, 'latencies'> {
  const latencies = runs.flatMap((m) => m.latencies);
  const seconds = runs.reduce((sum, m) => sum + m.seconds, 0);
  const cpu = runs.at(-1)?.cpu ?? { seconds: 0, processes: [], machineBusyCores: null };
  return {
    seconds: round(seconds),
    perSecond: round(latencies.length / seconds),
    latency: summarize(latencies),
    failed: runs.reduce((n, m) => n + m.failed, 0),
    cpu,
  };
}

/** Outside load: what the machine's cores did beyond the processes the bench runs. */
function roundOf(side: SagaRound['side'], round_: number, m: Measured, loadAverage: number): SagaRound {
  const ownCores = m.cpu.processes.reduce((sum, p) => sum + p.avgCores, 0);
  const outsideCores = m.cpu.machineBusyCores === null ? null : Math.max(0, round(m.cpu.machineBusyCores - ownCores));
  return {
    side,
    round: round_ + 1,
    items: m.latencies.length,
    seconds: m.seconds,
    perSecond: m.perSecond,
    p50: m.latency.p50,
    loadAverage: round(loadAverage),
    outsideCores,
    heavyOutsideLoad: outsideCores !== null && outsideCores > 0.5,
  };
}

/** CPU burnt by the servers with nothing to do: once with our consumers running, once without. */
async function idleCpu(stack: SagaStack, cpuTargets: Parameters<typeof cpuWindow>[0]) {
  const sample = async () => {
    const w = cpuWindow(cpuTargets);
    await sleep(3_000);
    return w.stop();
  };
  const withConsumers = await sample();
  await stack.pause('ours');
  const withoutConsumers = await sample();
  await stack.resume('ours');
  return { withConsumers, withoutConsumers };
}
