/**
 * npm run drill [-- --sagas 200 --concurrency 8]   (--quick: 30 sagas, each fault once)
 *
 * Runs many sagas against real servers while faults are injected — the worker, the projector and
 * the API SIGKILLed at random moments (and restarted by the supervisor), the MongoDB server stopped
 * for a while (file-backed, so data survives) and frozen (SIGSTOP) for longer than the whole
 * compensation budget, the Temporal dev server restarted on its database file, the email and
 * payment services failing for a while — and a cancel storm: every third order cancelled at a
 * random moment of its saga. Some orders ship to addresses the carrier refuses: their sagas wait in
 * NEEDS_ATTENTION and are repaired as an operator would (correct, retry, compensate). Saga time is
 * scaled down (SAGA_TIME_SCALE), so the budgets the outage outlasts are seconds, not the half hour
 * of production. Once that load has ended, the payment service goes down for longer than its
 * step's whole retry budget while more orders are placed: the breaker must make them wait, not
 * compensate (--outage-seconds 0 leaves this phase out).
 *
 * Then it settles the system as an operator would (redriving the compensations the outage
 * dead-lettered) and checks the invariants from the event log, the services' state, the API and
 * the read models. Prints a report and writes test-results/drill-report.json; exits 1 on any
 * violation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { loadConfig, type Config } from '../config';
import { dataConverter } from '../infra/data-converter';
import { obtainMongo, type MongoServer } from '../servers/mongodb';
import { repoRoot } from '../servers/paths';
import { freePort } from '../servers/run-command';
import { obtainTemporal, type TemporalServer } from '../servers/temporal';
import { sagaSettings } from '../config/saga';
import { createApiClient, dataOf, retryingFetch } from '../api/client';
import { describeGapMarkers } from './drill/gap-markers';
import { checkInvariants } from './drill/invariants';
import { scriptParts } from '../composition/scripts';
import { placeOrders } from './drill/load';
import { runOutage, stepBudgetMs } from './drill/outage';
import { redriveCompensations, waitForQuiet } from './drill/settle';
import { terminateMidSaga } from './drill/terminate';
import { supervise, type ManagedProcess } from './supervisor';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SAGAS = arg('sagas', quick ? 30 : 200);
const CONCURRENCY = arg('concurrency', quick ? 6 : 8);
const OUTAGE_ORDERS = arg('outage-orders', quick ? 10 : 40);
/** 0: no outage phase; otherwise at least the payment step's whole retry budget plus a second. */
const OUTAGE_SECONDS = arg('outage-seconds', quick ? 16 : 60);
/** Sagas terminated mid-way for the worker's settlement sweep to settle. */
const TERMINATED = arg('terminate', quick ? 2 : 4);
const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (m: string) => console.log(`[drill ${t()}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Saga time runs 20x faster, and a compensation gets two attempts: its whole budget is seconds. */
const SAGA_TIME_SCALE = 0.05;
const COMPENSATION_MAX_ATTEMPTS = 2;
const READABLE_WITHIN_MS = 60_000;

async function main() {
  const base = loadConfig();
  const external = Boolean(base.TEMPORAL_ADDRESS || base.MONGODB_URI);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'drill-'));
  const [apiPort, temporalPort, uiPort, mongoPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const config: Config = {
    ...base,
    DATA_DIR: dataDir,
    TEMPORAL_PORT: temporalPort,
    TEMPORAL_UI_PORT: uiPort,
    MONGODB_PORT: mongoPort,
    SAGA_TIME_SCALE,
    COMPENSATION_MAX_ATTEMPTS,
  };
  const compensationBudgetMs = budgetMs(sagaSettings(config).compensationPolicy);
  const paymentPolicy = sagaSettings(config).policies.payment;
  const outageMs = OUTAGE_SECONDS > 0 ? Math.max(OUTAGE_SECONDS * 1_000, stepBudgetMs(paymentPolicy) + 1_000) : 0;
  const freezeMs = Math.max(10_000, Math.ceil((compensationBudgetMs * 2.5) / 1_000) * 1_000);
  const progress = (m: string) => say(m);
  let temporal: TemporalServer = await obtainTemporal({ config, mode: 'persistent', progress });
  let mongo: MongoServer = await obtainMongo({ config, mode: 'persistent', progress });
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    MONGODB_URI: mongo.uri,
    MONGODB_DB: 'drill',
    TASK_QUEUE: 'drill',
    PORT: String(apiPort),
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: 'error',
    NODE_ENV: 'development',
    SAGA_TIME_SCALE: String(SAGA_TIME_SCALE),
    COMPENSATION_MAX_ATTEMPTS: String(COMPENSATION_MAX_ATTEMPTS),
    // Probes a few seconds apart, so the breaker closes soon after the outage ends.
    BREAKER_OPEN: '2s',
    BREAKER_MAX_OPEN: '8s',
    // The sweep finds terminated sagas within seconds, not a minute.
    SETTLE_SWEEP_INTERVAL: '2s',
  };
  const processes: Record<'worker' | 'api' | 'projector', ManagedProcess> = {
    worker: supervise('worker', path.join(repoRoot, 'workers', 'main.ts'), env, say),
    api: supervise('api', path.join(repoRoot, 'api', 'main.ts'), env, say),
    projector: supervise('projector', path.join(repoRoot, 'readside', 'main.ts'), env, say),
  };
  // Development mode (no API key); it retries through the API's restarts and the outages below.
  const api = createApiClient({ baseUrl: `http://127.0.0.1:${apiPort}`, fetch: retryingFetch() });
  const faultsInjected: string[] = [];
  let exitCode = 0;
  try {
    await Promise.all(Object.values(processes).map((p) => p.ready));
    await dataOf(api.GET('/health'));
    say(`system up (Temporal ${temporal.source}, MongoDB ${mongo.source}); seeding`);

    const rich = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(
        async (i) =>
          (await dataOf(api.POST('/accounts', { body: { owner: `rich-${i}`, initialDeposit: 10_000_000 } }))).accountId,
      ),
    );
    const poor = await Promise.all(
      [1, 2].map(
        async (i) =>
          (await dataOf(api.POST('/accounts', { body: { owner: `poor-${i}`, initialDeposit: 300 } }))).accountId,
      ),
    );
    const skus = Array.from({ length: 8 }, (_, i) => `DRILL-${i}`);
    for (const [i, sku] of skus.entries())
      await dataOf(api.POST('/inventory', { body: { sku, quantity: quick ? 12 : 60, price: 100 * (i + 1) } }));
    const repairSku = 'DRILL-REPAIR';
    await dataOf(api.POST('/inventory', { body: { sku: repairSku, quantity: SAGAS, price: 700 } }));

    // Faults, spread over the run.
    const faults: Array<[string, () => Promise<void>]> = [];
    const kills = quick ? 1 : 3;
    for (let i = 0; i < kills; i++) {
      for (const name of ['worker', 'projector', 'api'] as const)
        faults.push([`SIGKILL ${name}`, async () => void processes[name].kill('SIGKILL')]);
    }
    if (!external) {
      faults.push([
        'MongoDB stopped for 3 s',
        async () => {
          await mongo.stop();
          await sleep(3_000);
          mongo = await obtainMongo({ config, mode: 'persistent', progress: () => {} });
        },
      ]);
      if (mongo.freeze) {
        faults.push([
          `MongoDB frozen for ${freezeMs / 1_000} s, past the ${(compensationBudgetMs / 1_000).toFixed(1)} s compensation budget`,
          async () => {
            mongo.freeze!(true);
            try {
              await sleep(freezeMs);
            } finally {
              mongo.freeze!(false);
            }
          },
        ]);
      }
      faults.push([
        'Temporal dev server restarted',
        async () => {
          await temporal.stop();
          await sleep(1_000);
          temporal = await obtainTemporal({ config, mode: 'persistent', progress: () => {} });
        },
      ]);
    }
    faults.push([
      'email service down for 5 s',
      async () =>
        void (await dataOf(
          api.PUT('/faults/{service}', {
            params: { path: { service: 'email' } },
            body: { mode: 'error', durationMs: 5_000 },
          }),
        )),
    ]);
    faults.push([
      'payment service fails 3 calls',
      async () =>
        void (await dataOf(
          api.PUT('/faults/{service}', {
            params: { path: { service: 'payment' } },
            body: { mode: 'error', failures: 3 },
          }),
        )),
    ]);
    faults.push([
      'inventory service fails 3 calls',
      async () =>
        void (await dataOf(
          api.PUT('/faults/{service}', {
            params: { path: { service: 'inventory' } },
            body: { mode: 'error', failures: 3 },
          }),
        )),
    ]);
    faults.sort(() => Math.random() - 0.5);

    const load = placeOrders({
      api,
      sagas: SAGAS,
      concurrency: CONCURRENCY,
      richAccounts: rich,
      poorAccounts: poor,
      skus,
      repairSku,
      cancelEvery: 3,
      cancelWithinMs: 8_000,
      paceMs: quick ? 10_000 : 3_000,
      readableWithinMs: READABLE_WITHIN_MS,
      refusedEvery: quick ? 6 : 12,
      repairWithinMs: 240_000,
    });
    const chaos = (async () => {
      for (const [name, inject] of faults) {
        await sleep((quick ? 1_500 : 3_000) + Math.random() * 1_500);
        say(`fault: ${name}`);
        faultsInjected.push(name);
        await inject();
      }
    })();
    const [orders] = await Promise.all([load, chaos]);
    say(`${orders.length} orders placed, ${faultsInjected.length} faults injected; clearing faults and settling`);
    for (const service of ['email', 'payment', 'inventory'] as const)
      await api.DELETE('/faults/{service}', { params: { path: { service } } }).catch(() => {});
    const connection = await Connection.connect({ address: temporal.address });
    const temporalClient = new Client({ connection, dataConverter: dataConverter(config) });

    // The long outage, on a quiet system: any saga that compensates during it is one the outage made compensate.
    let outage: Awaited<ReturnType<typeof runOutage>>['figures'] | undefined;
    if (outageMs > 0) {
      await waitForQuiet(temporalClient, api, 'drill', Date.now() + (quick ? 240_000 : 600_000));
      const phase = await runOutage({
        api,
        baseUrl: `http://127.0.0.1:${apiPort}`,
        client: temporalClient,
        service: 'payment',
        outageMs,
        policy: paymentPolicy,
        orders: OUTAGE_ORDERS,
        readableWithinMs: READABLE_WITHIN_MS,
        deadline: Date.now() + outageMs + 180_000,
        say,
      });
      orders.push(...phase.orders);
      outage = phase.figures;
      faultsInjected.push(
        `payment service down for ${outageMs / 1_000} s, past its step's ${(phase.figures.stepBudgetMs / 1_000).toFixed(1)} s retry budget`,
      );
    }

    if (TERMINATED > 0) {
      const terminated = await terminateMidSaga({
        api,
        client: temporalClient,
        orders: TERMINATED,
        readableWithinMs: READABLE_WITHIN_MS,
        deadline: Date.now() + 180_000,
        say,
      });
      orders.push(...terminated);
      faultsInjected.push(`${terminated.length} sagas terminated mid-way`);
    }

    // Settle: every saga finished, every consumer caught up with the log.
    const settleStarted = Date.now();
    // Well inside the e2e test's limit for --quick, so a system that never settles fails here, saying where.
    const settleDeadline = settleStarted + (quick ? 240_000 : 600_000);
    await waitForQuiet(temporalClient, api, 'drill', settleDeadline);
    const { redrivenOrders, stillOpen } = await redriveCompensations(temporalClient, api, 'drill', settleDeadline, say);
    const mongoClient = await new MongoClient(mongo.uri).connect();
    const db = mongoClient.db('drill');
    const head = (await db.collection('counters').findOne({ _id: 'events' as never }))?.position ?? 0;
    for (;;) {
      const at = (await db.collection('checkpoints').findOne({ _id: 'email' as never }))?.position ?? 0;
      if (at >= head) break;
      if (Date.now() > settleDeadline)
        throw new Error(`not settled: the email subscription is at position ${at} of ${head}`);
      await sleep(500);
    }
    const settleSeconds = (Date.now() - settleStarted) / 1000;
    say(`settled in ${settleSeconds.toFixed(1)}s; checking invariants`);

    const report = await checkInvariants({ db, store: scriptParts(db).store }, temporalClient, orders, {
      api,
      faultsInjected,
      readableWithinMs: READABLE_WITHIN_MS,
      redrivenOrders,
      stillOpen,
      ...(outage && { outage }),
    });
    await mongoClient.close();
    await connection.close();
    const restarts = Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, p.starts() - 1]));
    const summary = {
      sagas: orders.length,
      concurrency: CONCURRENCY,
      faultsInjected,
      sagaTimeScale: SAGA_TIME_SCALE,
      compensationBudgetMs,
      cancelStorm: orders.filter((o) => o.cancel).length,
      repairs: {
        refusedAddresses: orders.filter((o) => o.repair).length,
        correct: report.figures.repairedCorrect,
        retry: report.figures.repairedRetry,
        compensate: report.figures.repairedCompensate,
        endedBeforeRepair: report.figures.refusedEndedBeforeRepair,
      },
      outage: outage ?? null,
      terminatedSettled: report.figures.terminatedSettled,
      compensationsRedriven: redrivenOrders.length,
      processRestarts: restarts,
      serverSources: { temporal: temporal.source, mongodb: mongo.source },
      invariantViolations: report.violations.length,
      violations: report.violations,
      checks: report.checks,
      figures: report.figures,
      gapMarkers: report.gapMarkers,
      settleSeconds,
      totalSeconds: (Date.now() - started) / 1000,
      loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
      cpus: os.cpus().length,
    };
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
    await writeFile(path.join(repoRoot, 'test-results', 'drill-report.json'), JSON.stringify(summary, null, 2));
    console.log('\nDrill report');
    console.log(
      `  sagas run             ${orders.length} (${report.figures.completed} completed, ${report.figures.cancelled} cancelled) at concurrency ${CONCURRENCY}`,
    );
    console.log(`  faults injected       ${faultsInjected.length}: ${faultsInjected.join(', ')}`);
    console.log(
      `  cancel storm          ${summary.cancelStorm} cancels at random moments (${report.figures.cancelsAccepted} accepted, ${report.figures.cancelsRefused} refused)`,
    );
    console.log(
      `  repaired sagas        ${summary.repairs.refusedAddresses} refused addresses: ${summary.repairs.correct} corrected, ${summary.repairs.retry} retried then corrected, ${summary.repairs.compensate} compensated, ${summary.repairs.endedBeforeRepair} ended before needing one`,
    );
    if (outage)
      console.log(
        `  long outage           payment down ${outage.outageMs / 1_000} s: ${outage.orders} orders, ${outage.attempts} processPayment attempts (bound ${outage.attemptBound}), ${outage.breakerWaits} breaker waits, transitions ${JSON.stringify(outage.transitions)}`,
      );
    console.log(
      `  terminated mid-saga   ${report.figures.terminatedSettled ?? 0} sagas, each settled by the sweep (SETTLE_SWEEP_INTERVAL 2s)`,
    );
    console.log(
      `  redriven              compensations of ${redrivenOrders.length} order(s) dead-lettered by the outage`,
    );
    console.log(
      `  process restarts      ${Object.entries(restarts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    for (const [name, check] of Object.entries(report.checks))
      console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${name}: ${check.detail}`);
    console.log(`  gap markers           ${describeGapMarkers(report.gapMarkers)}`);
    console.log(`  invariant violations  ${report.violations.length}`);
    console.log(
      `  time to settle        ${settleSeconds.toFixed(1)} s (whole drill ${summary.totalSeconds.toFixed(0)} s, load average ${summary.loadAverage.join(' ')} on ${summary.cpus} cores)`,
    );
    if (report.violations.length) exitCode = 1;
  } catch (err) {
    console.error(`drill failed: ${String((err as Error).stack ?? err)}`);
    exitCode = 1;
  } finally {
    await Promise.allSettled(Object.values(processes).map((p) => p.stop()));
    await Promise.allSettled([temporal.stop(), mongo.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

/** The longest a compensation keeps trying before it becomes a dead letter: every attempt timing out, every backoff in full. */
function budgetMs(policy: ReturnType<typeof sagaSettings>['compensationPolicy']): number {
  let total = 0;
  let interval = policy.initialIntervalMs;
  for (let attempt = 1; attempt <= policy.maximumAttempts; attempt++) {
    total += policy.startToCloseTimeoutMs;
    if (attempt < policy.maximumAttempts) {
      total += interval;
      interval = Math.min(policy.maximumIntervalMs, interval * policy.backoffCoefficient);
    }
  }
  return total;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
