import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';

const root = path.resolve(__dirname, '..');
/** What the workflow bundle is built from: the workflows and the domain code they import. */
const SOURCES = ['workflows', 'domain'];

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? files(full) : name.endsWith('.ts') ? [full] : [];
    });
}

let derived: string | undefined;

/**
 * The worker's build id: WORKER_BUILD_ID, or `<package version>-<12 hex of a SHA-256>` over the
 * workflow code (every .ts file under workflows/ and domain/, by path and content) and the version
 * of @temporalio/workflow that runs it. Any change that could change what a workflow does is a
 * new build; activities, the API and the read side can change without one.
 */
export function buildId(config: Pick<Config, 'WORKER_BUILD_ID'>): string {
  if (config.WORKER_BUILD_ID) return config.WORKER_BUILD_ID;
  if (derived) return derived;
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((dir) => files(path.join(root, dir)))) {
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const sdk = JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as { version: string };
  hash.update(`@temporalio/workflow@${sdk.version}`);
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  derived = `${version}-${hash.digest('hex').slice(0, 12)}`;
  return derived;
}
