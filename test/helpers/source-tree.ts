import { readdirSync } from 'node:fs';
import path from 'node:path';

/** The repository's root. */
export const ROOT = path.resolve(__dirname, '..', '..');

/** The source tree's layers, as `npm run check:architecture` reads them. */
export const SOURCE_LAYERS = [
  'api',
  'activities',
  'composition',
  'domain',
  'eventstore',
  'infra',
  'config',
  'readside',
  'workflows',
  'workers',
  'scripts',
  'servers',
  'console',
];

/** Every source file under `dir` (relative to the root), node_modules and build output left out. */
export function sourceFiles(dir: string, extensions = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    // Installed or built (the console's bundle, console/dist), not written here.
    if (entry.isDirectory()) return ['node_modules', 'dist'].includes(entry.name) ? [] : sourceFiles(rel, extensions);
    return extensions.test(entry.name) ? [rel] : [];
  });
}
