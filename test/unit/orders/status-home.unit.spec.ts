import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from '../../../domain/orders';
import { SOURCE_LAYERS, sourceFiles } from '../../helpers/source-tree';

const root = path.resolve(__dirname, '..', '..', '..');
/** The source tree, as the architecture check reads it (test/unit/architecture.unit.spec.ts). */
const LAYERS = SOURCE_LAYERS;

/** Where a status may be spelled out: its home, and code that must never change. */
const EXEMPT: Array<[RegExp, string]> = [
  [/^domain\/orders\//, 'the status table and the order contract'],
  [/^workflows\/legacy\//, 'the frozen saga of the first version: recorded histories replay it as it was'],
  // These two check outcomes against what they expect, as tests do; the drill also reads
  // Temporal's own execution statuses, which share the spelling of COMPLETED and CANCELLED.
  [/^scripts\/drill\/invariants\.ts$/, 'the drill checks outcomes against expectations'],
  [/^scripts\/saga-scenarios\.ts$/, 'the scenarios check outcomes against expectations'],
  // Generated from the OpenAPI document, which derives its status enum from the table; a stale
  // copy is caught by `npm run client:check`.
  [/^api\/client\/schema\.d\.ts$/, 'the typed client generated from the API contract'],
];

const STATUS_LITERAL = new RegExp(`(['"\`])(${ORDER_STATUSES.join('|')})\\1`, 'g');

/** Every status written as a string literal outside its home: `file:line: 'STATUS'`. */
function statusLiteralsOutsideTheTable(): string[] {
  const found: string[] = [];
  for (const file of LAYERS.flatMap((dir) => sourceFiles(dir))) {
    if (EXEMPT.some(([pattern]) => pattern.test(file))) continue;
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const match of line.matchAll(STATUS_LITERAL)) found.push(`${file}:${i + 1}: ${match[0]}`);
      });
  }
  return found;
}

describe('the order status has one home', () => {
  it('spells out no status outside domain/orders (lists and transitions derive from the status table)', () => {
    expect(statusLiteralsOutsideTheTable()).toEqual([]);
  });

  it('finds a status list planted in a service', () => {
    const planted = path.join(root, 'activities', 'zz-planted-status-list.ts');
    writeFileSync(planted, 'export const FINISHED = [\'COMPLETED\', "CANCELLED"];\n');
    try {
      expect(statusLiteralsOutsideTheTable().filter((f) => f.startsWith('activities/zz-'))).toEqual([
        "activities/zz-planted-status-list.ts:1: 'COMPLETED'",
        'activities/zz-planted-status-list.ts:1: "CANCELLED"',
      ]);
    } finally {
      rmSync(planted, { force: true });
    }
  });
});
