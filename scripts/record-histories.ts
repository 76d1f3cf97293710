/**
 * `npm run record-histories`: runs every saga path (scripts/saga-scenarios.ts) through the real
 * worker and API and writes each saga's workflow history to test/fixtures/histories/<path>.json,
 * in the JSON form `temporal workflow show --output json` prints. The replay tests
 * (test/replay/) replay these files against the current workflow code.
 *
 *   npm run record-histories                               every path; existing files are kept
 *   npm run record-histories -- --only rejected,approved   some paths
 *   npm run record-histories -- --tag my-change            writes <path>.my-change.json (new behaviour
 *                                                          next to the old histories, see docs/workflow-changes.md)
 *   npm run record-histories -- --force                    overwrite existing files
 *
 * Servers: TEMPORAL_ADDRESS / MONGODB_URI when set, else embedded ones started for the run
 * (the same resolution order as `npm test`).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, type Config } from '../config';
import { obtainServers } from '../servers';
import { repoRoot } from '../servers/paths';
import { scenarioConfig, scenarios } from './saga-scenarios';
import { startInProcess } from './system';

const historiesDir = path.join(repoRoot, 'test', 'fixtures', 'histories');

const say = (message: string) => console.log(`[record-histories] ${message}`);

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      tag: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0)
    throw new Error(`Unknown path(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  if (values.tag !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(values.tag))
    throw new Error('--tag must be lowercase letters, digits and dashes');
  const chosen = scenarios.filter((s) => !only || only.includes(s.name));
  const fileOf = (name: string) => path.join(historiesDir, `${name}${values.tag ? `.${values.tag}` : ''}.json`);
  const todo = chosen.filter((s) => values.force || !existsSync(fileOf(s.name)));
  for (const s of chosen.filter((s) => !todo.includes(s)))
    say(`kept ${path.relative(repoRoot, fileOf(s.name))} (exists; --force overwrites)`);
  if (todo.length === 0) return;
  // The fixtures are committed and replayed without keys: record them with readable payloads.
  if (process.env.PAYLOAD_KEYS)
    throw new Error('Unset PAYLOAD_KEYS: committed histories must not carry encrypted payloads');

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const servers = await obtainServers(loadConfig(), 'ephemeral', say);
  const suffix = randomUUID().slice(0, 8);
  const config: Config = {
    ...loadConfig({ ...process.env, TEMPORAL_ADDRESS: servers.temporal.address, MONGODB_URI: servers.mongo.uri }),
    TASK_QUEUE: `record-histories-${suffix}`,
    MONGODB_DB: `record_histories_${suffix}`,
    LOG_LEVEL: 'silent',
    ...scenarioConfig,
  };
  // The worker and the API in this process, on a task queue and a database of their own.
  const system = await startInProcess(config, { consumers: false, dropDatabaseOnStop: true });
  try {
    await mkdir(historiesDir, { recursive: true });
    for (const scenario of todo) {
      const started = Date.now();
      const { workflowId } = await scenario.run(system);
      const history = await system.client.workflow.getHandle(workflowId).fetchHistory();
      const file = fileOf(scenario.name);
      await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      say(
        `${path.relative(repoRoot, file)}: ${scenario.description} (${history.events?.length} events, ${Date.now() - started} ms)`,
      );
    }
  } finally {
    await system.stop();
    await servers.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
