import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { workflowsPath } from '../../scripts/replay/histories';

// The replay library is the user-facing one (npm run replay); tests use it as it is.
export * from '../../scripts/replay/histories';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * A copy of the workflow code with one change applied to order-saga.ts, in test-results/ (ignored
 * by git, inside the project so the bundler finds node_modules). For proving what a change does to
 * recorded histories without touching workflows/.
 */
export function alteredWorkflows(name: string, change: (source: string) => string, file = 'order-saga.ts'): string {
  const root = path.join(repoRoot, 'test-results', 'replay', name);
  const dir = path.join(root, 'workflows');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  cpSync(path.dirname(workflowsPath), dir, { recursive: true });
  // Workflow code also runs the domain's pure functions (validation) and names its search
  // attributes from infra/search-attribute-keys.ts: copy both beside it.
  cpSync(path.join(repoRoot, 'domain'), path.join(root, 'domain'), { recursive: true });
  cpSync(path.join(repoRoot, 'infra'), path.join(root, 'infra'), { recursive: true });
  const target = path.join(dir, file);
  const before = readFileSync(target, 'utf8');
  const after = change(before);
  if (after === before)
    throw new Error(`alteredWorkflows(${name}): the change did not apply to ${file} (did the saga change?)`);
  writeFileSync(target, after);
  return path.join(dir, 'index.ts');
}
