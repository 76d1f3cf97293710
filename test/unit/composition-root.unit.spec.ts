import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../helpers/source-tree';

const root = path.resolve(__dirname, '..', '..');
/**
 * The source tree outside the composition roots and the event store itself. Tests and benchmarks
 * build stacks of their own on purpose, so they are not read.
 */
const TREES = [
  'api',
  'activities',
  'domain',
  'infra',
  'config',
  'readside',
  'workflows',
  'workers',
  'scripts',
  'servers',
];

/**
 * Every place outside composition/ that names createEventStore (importing it is the first step to
 * calling it): `file:line`. dependency-cruiser sees modules, not calls, so this reads the sources.
 */
function eventStoresBuiltOutsideTheRoots(): string[] {
  const found: string[] = [];
  for (const file of TREES.flatMap((tree) => sourceFiles(tree, /\.(ts|mts|cts)$/))) {
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\bcreateEventStore\b/.test(line)) found.push(`${file}:${i + 1}`);
      });
  }
  return found;
}

describe('one composition root per process kind', () => {
  it('builds the event store only in composition/ (each process once), never in the parts it hands it to', () => {
    expect(eventStoresBuiltOutsideTheRoots()).toEqual([]);
  });

  it('finds an event store built in an API route', () => {
    const planted = path.join(root, 'api', 'routes', 'zz-planted-event-store.ts');
    writeFileSync(
      planted,
      "import type { Db } from 'mongodb';\nimport { createEventStore } from '../../eventstore';\nexport const planted = (db: Db) => createEventStore(db);\n",
    );
    try {
      expect(eventStoresBuiltOutsideTheRoots()).toEqual([
        'api/routes/zz-planted-event-store.ts:2',
        'api/routes/zz-planted-event-store.ts:3',
      ]);
    } finally {
      rmSync(planted, { force: true });
    }
  });
});
