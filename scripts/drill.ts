/**
 * npm run drill [-- --sagas 200 --concurrency 8]   (--quick: 30 sagas, each fault once)
 *
 * Runs many sagas against real servers while faults are injected — the worker, the projector and
 * the API SIGKILLed at random moments (and restarted by the supervisor), the MongoDB server stopped
 * for a while (file-backed, so data survives), the Temporal dev server restarted on its database
 * file, the email and payment services failing for a while — then lets the system settle and
 * checks the invariants from the event log, the services' state and the read models.
 * Prints a report and writes test-results/drill-report.json; exits 1 on any violation.
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
import { call } from './drill/http-client';
import { checkInvariants, type PlacedOrder } from './drill/invariants';
import { supervise, type ManagedProcess } from './supervisor';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SAGAS = arg('sagas', quick ? 30 : 200);
const CONCURRENCY = arg('concurrency', quick ? 6 : 8);
const started = Date.now();
const t = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (m: string) => console.log(`[drill ${t()}] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

async function main() {
  const base = loadConfig();
  const external = Boolean(base.TEMPORAL_ADDRESS || base.MONGODB_URI);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'drill-'));
  const [apiPort, temporalPort, uiPort, mongoPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config: Config = { ...base, DATA_DIR: dataDir, TEMPORAL_PORT: temporalPort, TEMPORAL_UI_PORT: uiPort, MONGODB_PORT: mongoPort };
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
  };
  const processes: Record<'worker' | 'api' | 'projector', ManagedProcess> = {
    worker: supervise('worker', path.join(repoRoot, 'workers', 'main.ts'), env, say),
    api: supervise('api', path.join(repoRoot, 'api', 'main.ts'), env, say),
    projector: supervise('projector', path.join(repoRoot, 'consumers', 'main.ts'), env, say),
  };
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  const faultsInjected: string[] = [];
  let exitCode = 0;
  try {
    await Promise.all(Object.values(processes).map((p) => p.ready));
    await call(baseUrl, 'GET', '/health');
    say(`system up (Temporal ${temporal.source}, MongoDB ${mongo.source}); seeding`);

    const rich = await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => (await call(baseUrl, 'POST', '/accounts', { owner: `rich-${i}`, initialDeposit: 10_000_000 })).body.accountId as string));
    const poor = await Promise.all([1, 2].map(async (i) => (await call(baseUrl, 'POST', '/accounts', { owner: `poor-${i}`, initialDeposit: 300 })).body.accountId as string));
    const skus = Array.from({ length: 8 }, (_, i) => `DRILL-${i}`);
    for (const [i, sku] of skus.entries()) await call(baseUrl, 'POST', '/inventory', { sku, quantity: quick ? 12 : 60, price: 100 * (i + 1) });

    // Faults, spread over the run.
    const faults: Array<[string, () => Promise<void>]> = [];
    const kills = quick ? 1 : 3;
    for (let i = 0; i < kills; i++) {
      for (const name of ['worker', 'projector', 'api'] as const) faults.push([`SIGKILL ${name}`, async () => void processes[name].kill('SIGKILL')]);
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
      faults.push([
        'Temporal dev server restarted',
        async () => {
          await temporal.stop();
          await sleep(1_000);
          temporal = await obtainTemporal({ config, mode: 'persistent', progress: () => {} });
        },
      ]);
    }
    faults.push(['email service down for 5 s', async () => void (await call(baseUrl, 'PUT', '/faults/email', { mode: 'error', durationMs: 5_000 }))]);
    faults.push(['payment service fails 3 calls', async () => void (await call(baseUrl, 'PUT', '/faults/payment', { mode: 'error', failures: 3 }))]);
    faults.push(['inventory service fails 3 calls', async () => void (await call(baseUrl, 'PUT', '/faults/inventory', { mode: 'error', failures: 3 }))]);
    faults.sort(() => Math.random() - 0.5);

    const orders: PlacedOrder[] = [];
    let next = 0;
    const client = async () => {
      while (next < SAGAS) {
        const n = next++;
        const accountId = n % 10 === 9 ? pick(poor) : pick(rich);
        const items = [...new Set([pick(skus), pick(skus)])].map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 3) }));
        const country = n % 20 === 7 ? 'AQ' : 'US';
        const body = { customerId: `drill-${n % 13}`, accountId, items, shippingAddress: { line1: `${n} Main St`, city: 'Springfield', postalCode: '12345', country } };
        const res = await call(baseUrl, 'POST', '/orders', body, { 'idempotency-key': `drill-order-${n}` });
        if (res.status !== 202) throw new Error(`order ${n} refused: ${res.status} ${JSON.stringify(res.body)}`);
        orders.push({ orderId: res.body.orderId, accountId, items });
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, client));
    const chaos = (async () => {
      for (const [name, inject] of faults) {
        await sleep((quick ? 1_500 : 3_000) + Math.random() * 1_500);
        say(`fault: ${name}`);
        faultsInjected.push(name);
        await inject();
      }
    })();
    await Promise.all([load, chaos]);
    say(`${orders.length} orders placed, ${faultsInjected.length} faults injected; clearing faults and settling`);
    for (const service of ['email', 'payment', 'inventory']) await call(baseUrl, 'DELETE', `/faults/${service}`).catch(() => {});

    // Settle: every saga finished, every consumer caught up with the log.
    const settleStarted = Date.now();
    const connection = await Connection.connect({ address: temporal.address });
    const temporalClient = new Client({ connection, dataConverter: dataConverter(config) });
    for (;;) {
      let running = 0;
      for await (const _ of temporalClient.workflow.list({ query: `TaskQueue = 'drill' AND ExecutionStatus = 'Running'` })) running++;
      const lag = (await call(baseUrl, 'GET', '/projections')).body.projections.reduce((n: number, p: { lagEvents: number }) => n + p.lagEvents, 0);
      if (running === 0 && lag === 0) break;
      if (Date.now() - settleStarted > 600_000) throw new Error(`did not settle in 10 minutes: ${running} sagas running, lag ${lag}`);
      await sleep(1_000);
    }
    const mongoClient = await new MongoClient(mongo.uri).connect();
    const db = mongoClient.db('drill');
    const head = (await db.collection('counters').findOne({ _id: 'events' as never }))?.position ?? 0;
    while (((await db.collection('checkpoints').findOne({ _id: 'email' as never }))?.position ?? 0) < head) await sleep(500);
    const settleSeconds = (Date.now() - settleStarted) / 1000;
    say(`settled in ${settleSeconds.toFixed(1)}s; checking invariants`);

    const report = await checkInvariants(db, temporalClient, orders, faultsInjected);
    await mongoClient.close();
    await connection.close();
    const restarts = Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, p.starts() - 1]));
    const summary = {
      sagas: orders.length,
      concurrency: CONCURRENCY,
      faultsInjected,
      processRestarts: restarts,
      serverSources: { temporal: temporal.source, mongodb: mongo.source },
      invariantViolations: report.violations.length,
      violations: report.violations,
      checks: report.checks,
      figures: report.figures,
      settleSeconds,
      totalSeconds: (Date.now() - started) / 1000,
    };
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
    await writeFile(path.join(repoRoot, 'test-results', 'drill-report.json'), JSON.stringify(summary, null, 2));
    console.log('\nDrill report');
    console.log(`  sagas run             ${orders.length} (${report.figures.completed} completed, ${report.figures.cancelled} cancelled) at concurrency ${CONCURRENCY}`);
    console.log(`  faults injected       ${faultsInjected.length}: ${faultsInjected.join(', ')}`);
    console.log(`  process restarts      ${Object.entries(restarts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    for (const [name, check] of Object.entries(report.checks)) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${name}: ${check.detail}`);
    console.log(`  invariant violations  ${report.violations.length}`);
    console.log(`  time to settle        ${settleSeconds.toFixed(1)} s (whole drill ${summary.totalSeconds.toFixed(0)} s)`);
    if (report.violations.length) exitCode = 1;
  } catch (err) {
    console.error(`drill failed: ${(err as Error).stack ?? err}`);
    exitCode = 1;
  } finally {
    await Promise.allSettled(Object.values(processes).map((p) => p.stop()));
    await Promise.allSettled([temporal.stop(), mongo.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

main();
