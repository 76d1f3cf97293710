/**
 * npm run fuzz [-- --examples 50] [-- --production]
 * Hostile input against the whole system on real servers: the hand-written hostile cases, then
 * schemathesis fuzzing every endpoint of the OpenAPI document. Passes when no request got a 5xx,
 * the process never crashed, and no rejected request wrote anything (every request carries a
 * correlation id; no event may carry the id of a request that was answered with an error).
 * Writes test-results/fuzz-report.json.
 *
 * --production runs the API as production does (NODE_ENV=production: API keys required, payloads
 * encrypted, fault injection refused) and fuzzes it with an operator key. The rate limit is
 * raised for the run (RATE_LIMIT_PER_MINUTE=1000000), or the fuzzer would mostly see 429s. The
 * hand-written cases run in development mode only: several of them inject faults, which
 * production refuses by design.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApiClient, dataOf, idempotencyKey as idempotencyKeyHeader } from '../api/client';
import { loadConfig, type Config } from '../config';
import { obtainServers } from '../servers';
import { findOnPath } from '../servers/run-command';
import { repoRoot } from '../servers/paths';
import { runHostileCases } from './fuzz/run-hostile';
import { startInProcess } from './system';

interface RequestLine {
  correlationId: string;
  method: string;
  path: string;
  status: number;
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const examples = Number(process.argv[process.argv.indexOf('--examples') + 1]) || 25;
  const production = process.argv.includes('--production');
  const operatorKey = `fuzz-operator-${randomUUID()}`;
  const base = loadConfig();
  const servers = await obtainServers(base, 'ephemeral', (m) => console.log(`[fuzz] ${m}`));
  const requests: RequestLine[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        const entry = JSON.parse(line);
        if (entry.msg === 'request') requests.push(entry);
      }
      done();
    },
  });
  const suffix = randomUUID().slice(0, 8);
  const config: Config = {
    ...base,
    TEMPORAL_ADDRESS: servers.temporal.address,
    MONGODB_URI: servers.mongo.uri,
    MONGODB_DB: `fuzz_${suffix}`,
    TASK_QUEUE: `fuzz-${suffix}`,
    SAGA_TIME_SCALE: 0.01,
    COMPENSATION_MAX_ATTEMPTS: 3,
    WORKER_METRICS_URLS: [],
    LOG_LEVEL: 'info',
    // GET /live streams until its maximum duration: short here, so each fuzzed call ends well within the request timeout.
    LIVE_FEED_MAX: 2_000,
    ...(production && {
      NODE_ENV: 'production' as const,
      API_KEYS: [{ key: operatorKey, role: 'operator' as const, customerId: undefined }],
      PAYLOAD_KEYS: new Map([['fuzz', randomBytes(32)]]),
      // Production's default is 600 a minute per address; the fuzzer sends thousands.
      RATE_LIMIT_PER_MINUTE: 1_000_000,
    }),
  };
  const auth: Record<string, string> = production ? { authorization: `Bearer ${operatorKey}` } : {};
  const system = await startInProcess(config, { destination: sink });
  let exitCode = 0;
  try {
    // Something real to aim at: an account, stock, a finished order and its idempotency key.
    const { accounts } = system;
    const account = (await accounts.openAccount({ owner: 'fuzz', initialDeposit: 1_000_000 })).accountId;
    const sku = `FUZZ-${suffix}`;
    // The targets are set up with well-formed requests, through the typed client; only the cases below are hostile.
    const api = createApiClient({ baseUrl: system.baseUrl, headers: auth });
    await dataOf(api.POST('/inventory', { body: { sku, quantity: 1_000, price: 100 } }));
    const idempotencyKey = `fuzz-${suffix}`;
    const placed = await dataOf(
      api.POST('/orders', {
        params: { header: idempotencyKeyHeader(idempotencyKey) },
        body: {
          customerId: 'fuzz',
          accountId: account,
          items: [{ sku, quantity: 1 }],
          shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
        },
      }),
    );
    await system.client.workflow.getHandle(placed.workflowId).result();

    console.log(
      production
        ? '[fuzz] production mode: hand-written cases skipped (they inject faults)'
        : '[fuzz] hand-written hostile cases',
    );
    const hostile = production
      ? []
      : await runHostileCases(system.baseUrl, { account, sku, order: placed.orderId, idempotencyKey });
    const unexpected = hostile.filter((r) => !r.expected.includes(r.status) || !r.errorShape);

    console.log(`[fuzz] schemathesis, ${examples} examples per operation`);
    const schemathesis = await runSchemathesis(`${system.baseUrl}/openapi.json`, examples, auth.authorization);

    // Let every saga the fuzzer started finish, so their events are all written before checking.
    const settleDeadline = Date.now() + 120_000;
    for (;;) {
      let running = 0;
      for await (const _ of system.client.workflow.list({
        query: `TaskQueue = '${config.TASK_QUEUE}' AND ExecutionStatus = 'Running'`,
      }))
        running++;
      if (running === 0 || Date.now() > settleDeadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const rejected = requests.filter((r) => r.status >= 400);
    const serverErrors = requests.filter((r) => r.status >= 500);
    const writes = await system.mongo.db
      .collection('events')
      .countDocuments({ 'metadata.correlationId': { $in: rejected.map((r) => r.correlationId) } });
    const byStatus = Object.entries(
      requests.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {}),
    ).sort();
    const report = {
      requests: requests.length,
      byStatus: Object.fromEntries(byStatus),
      hostileCases: hostile.length,
      hostileUnexpected: unexpected,
      schemathesis,
      serverErrors: serverErrors.length,
      serverErrorSamples: serverErrors.slice(0, 10),
      rejectedRequests: rejected.length,
      eventsWrittenByRejectedRequests: writes,
    };
    await mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
    await writeFile(path.join(repoRoot, 'test-results', 'fuzz-report.json'), JSON.stringify(report, null, 2));
    console.log('\nFuzzing report');
    console.log(
      `  requests sent            ${requests.length}  (${byStatus.map(([s, n]) => `${s}: ${n}`).join(', ')})`,
    );
    console.log(`  hand-written cases       ${hostile.length}, unexpected answers: ${unexpected.length}`);
    console.log(`  schemathesis             ${schemathesis.summary}`);
    console.log(`  server errors (5xx)      ${serverErrors.length}`);
    console.log(`  rejected requests        ${rejected.length}, events they wrote: ${writes}`);
    if (unexpected.length || serverErrors.length || writes || !schemathesis.ok) exitCode = 1;
    console.log(exitCode ? '\nFAILED' : '\nPASSED: 0 server errors, 0 side effects from rejected requests');
  } finally {
    await system.stop();
    await servers.stop();
  }
  process.exit(exitCode);
}

async function runSchemathesis(
  url: string,
  examples: number,
  authorization?: string,
): Promise<{ ok: boolean; summary: string }> {
  const bin = await findOnPath('schemathesis');
  if (!bin) return { ok: false, summary: 'schemathesis is not installed (pip install schemathesis)' };
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(
      bin,
      [
        '--config-file',
        path.join(repoRoot, 'scripts', 'fuzz', 'schemathesis.toml'),
        'run',
        url,
        '--checks',
        'all',
        '--max-examples',
        String(examples),
        '--seed',
        '20261126',
        '--request-timeout',
        '30',
        '--continue-on-failure',
        ...(authorization ? ['--header', `Authorization: ${authorization}`] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      process.stdout.write(c);
    });
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => {
      const summary =
        output
          .trim()
          .split('\n')
          .filter((l) => /passed|failed|error|operations/i.test(l))
          .slice(-3)
          .join(' | ') || `exit ${code}`;
      resolve({ ok: code === 0, summary });
    });
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
