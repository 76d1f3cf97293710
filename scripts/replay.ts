/**
 * npm run replay -- <what> [--limit N] [--workflows path/to/workflows/index.ts]
 *
 * Checks saga histories against the workflow code in this checkout, the way a worker would run
 * them, and names every history that would not continue correctly: its workflow id (or file) and
 * the first event where code and history part ways. <what> is any of:
 *   - a history file: the Web UI's "Download" of a workflow's history, or `temporal workflow show -o json`;
 *   - a folder of such files (every *.json in it);
 *   - --query '<visibility query>': the histories of the workflows a running server lists for it,
 *     e.g. --query 'WorkflowType="orderSaga" AND StartTime > "2026-11-01T00:00:00Z"' (newest first,
 *     at most --limit, 100 by default), read with TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE.
 * --workflows checks against other workflow code than this checkout's (another build's).
 * Exits 0 when every history replays, 1 when one does not, 2 on a usage error.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../config';
import { temporalClient } from '../composition';
import { replayFixtures, workflowsPath, type Fixture } from './replay/histories';

const usage =
  "usage: npm run replay -- <history.json | folder> | --query '<visibility query>' [--limit N] [--workflows <workflows/index.ts>]";

/** A file from the Web UI or the CLI: `{ events: [...] }` (an array of events is taken too). */
export function readHistoryFile(file: string): Fixture {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not a JSON history (${(err as Error).message})`);
  }
  const body = Array.isArray(json) ? { events: json } : json;
  if (!body || typeof body !== 'object' || !Array.isArray((body as { events?: unknown }).events)) {
    throw new Error(
      `${file} has no "events": download it with the Web UI's "Download" or \`temporal workflow show -o json\``,
    );
  }
  return { file: path.relative(process.cwd(), file) || file, history: historyFromJSON(body) };
}

export function readHistoryPath(target: string): Fixture[] {
  if (!statSync(target, { throwIfNoEntry: false })) throw new Error(`${target} does not exist`);
  if (!statSync(target).isDirectory()) return [readHistoryFile(target)];
  const files = readdirSync(target)
    .filter((f) => f.endsWith('.json'))
    .sort();
  if (files.length === 0) throw new Error(`${target} holds no *.json history`);
  return files.map((f) => readHistoryFile(path.join(target, f)));
}

/** The histories of the workflows a visibility query lists, named by workflow id and run id. */
export async function fetchHistories(query: string, limit: number): Promise<Fixture[]> {
  const { client, connection } = await temporalClient(loadConfig());
  try {
    const histories: Fixture[] = [];
    for await (const execution of client.workflow.list({ query })) {
      if (histories.length >= limit) break;
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories.push({ file: `${execution.workflowId} (run ${execution.runId})`, history });
    }
    return histories;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const limit = Number(flag('--limit') ?? 100);
  const query = flag('--query');
  const workflows = path.resolve(flag('--workflows') ?? workflowsPath);
  const target = args.find(
    (a, i) => !a.startsWith('--') && !['--query', '--limit', '--workflows'].includes(args[i - 1] ?? ''),
  );
  if ((!query && !target) || !Number.isInteger(limit) || limit < 1) {
    console.error(usage);
    return 2;
  }
  let histories: Fixture[];
  try {
    histories = query ? await fetchHistories(query, limit) : readHistoryPath(target!);
  } catch (err) {
    console.error(`replay: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  console.log(
    `replay: ${histories.length} ${histories.length === 1 ? 'history' : 'histories'} against ${path.relative(process.cwd(), workflows)}`,
  );
  const failures = await replayFixtures(histories, workflows);
  for (const failure of failures) console.log(`\nFAILED ${failure.message}`);
  console.log(`\n${histories.length - failures.length} replayed, ${failures.length} failed`);
  return failures.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
