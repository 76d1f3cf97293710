import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { bundleWorkflows, type WorkflowBundle } from './workflow-bundle';

const root = path.resolve(__dirname, '..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The inline source map at the end of a bundle: it names every source by its absolute path, so it
 * differs between two checkouts of the same code; what runs is the code above it.
 */
const SOURCE_MAP = /\n\/\/# sourceMappingURL=data:[^\n]*\s*$/;

/**
 * `<package version>-<12 hex of a SHA-256>` of the workflow bundle's code: the workflows, the
 * domain code they import, every library bundled with them (the SDK's workflow runtime, zod, ...)
 * and the workflow interceptors of the worker's plugins. Any change to what a workflow runs is a
 * new build, wherever it comes from; activities, the API and the read side are not in the bundle
 * and can change without one. The bundle names modules relative to the repository, and its source
 * map (absolute paths) is left out, so two checkouts of the same code at different paths agree.
 */
export function buildIdOf(bundle: WorkflowBundle): string {
  const code = bundle.code.replace(SOURCE_MAP, '');
  return `${version}-${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

let derived: string | undefined;

/** The build id a worker built from this bundle registers: WORKER_BUILD_ID, or the bundle's hash. */
export function buildIdFor(config: Pick<Config, 'WORKER_BUILD_ID'>, bundle: WorkflowBundle): string {
  if (config.WORKER_BUILD_ID) return config.WORKER_BUILD_ID;
  derived = buildIdOf(bundle);
  return derived;
}

/**
 * The build id the worker would register, without starting one: WORKER_BUILD_ID, or the hash of the
 * workflow code bundled as the worker bundles it (a few seconds: webpack). `plugins` must be the
 * worker's (tracing adds workflow interceptors to the bundle).
 */
export async function deriveBuildId(
  config: Pick<Config, 'WORKER_BUILD_ID'>,
  options: Parameters<typeof bundleWorkflows>[0] = {},
): Promise<string> {
  if (config.WORKER_BUILD_ID) return config.WORKER_BUILD_ID;
  return buildIdFor(config, await bundleWorkflows(options));
}

/**
 * The build id of this process's worker: WORKER_BUILD_ID, or the one derived when its workflow code
 * was bundled (createWorker, deriveBuildId). Deriving one takes a bundle, so asking first is a bug.
 */
export function buildId(config: Pick<Config, 'WORKER_BUILD_ID'>): string {
  if (config.WORKER_BUILD_ID) return config.WORKER_BUILD_ID;
  if (derived) return derived;
  throw new Error(
    'the build id is derived from the workflow bundle: create the worker (or await deriveBuildId) before asking for it',
  );
}
