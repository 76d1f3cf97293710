import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPROVAL, COMPENSATION_STEPS, FINAL_STEP, FORWARD_STEPS } from '../../../domain/orders';
import { SOURCE_LAYERS, sourceFiles } from '../../helpers/source-tree';

const root = path.resolve(__dirname, '..', '..', '..');
/** The source tree, as the architecture check reads it, and the tests (the fault matrix, specs). */
const TREES = [...SOURCE_LAYERS, 'test'];

/** Where a list of steps may be written out: the two halves of the step table, and code that must never change. */
const EXEMPT: Array<[RegExp, string]> = [
  [/^domain\/orders\/steps\.ts$/, 'the step table: names, services, compensations, checkpoints, summaries'],
  [/^workflows\/saga\/steps\.ts$/, "the workflow's step table: what each step and its compensation are called with"],
  [/^workflows\/legacy\//, 'the frozen sagas: recorded histories replay them as they were'],
  [/^test\/fixtures\//, 'recorded histories'],
  [
    /^test\/(unit\/replay\/divergence\.unit|replay\/deploy-report\.workflow)\.spec\.ts$/,
    "the deploy gate's made-up histories and planted changes: inputs of its report, not the saga's steps",
  ],
  [
    /^test\/unit\/orders\/decider\.unit\.spec\.ts$/,
    "the decider's given/then tables: the compensations one order recorded, not the saga's steps",
  ],
];

/** Every name a saga step or compensation goes by. */
const STEP_NAMES = [...FORWARD_STEPS, APPROVAL.step, FINAL_STEP.step, ...COMPENSATION_STEPS];
const names = STEP_NAMES.join('|');
const LITERAL = new RegExp(`(['"\`])(${names})\\1`, 'g');
/** A line that starts with a step name as an object key or a list element: one row of a hand-written map or list. */
const ROW = new RegExp(`^\\s*(['"\`]?)(${names})\\1\\s*[:,]`);

/**
 * Lists of two or more step names written by hand: two step names as literals on one line, or
 * two lines in a row that each start with one (the rows of a map keyed by step). `file:line: names`.
 */
function handWrittenStepLists(): string[] {
  const found: string[] = [];
  for (const file of TREES.flatMap((dir) => sourceFiles(dir))) {
    if (EXEMPT.some(([pattern]) => pattern.test(file))) continue;
    const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const literals = [...line.matchAll(LITERAL)].map((m) => m[2]);
      if (literals.length >= 2) found.push(`${file}:${i + 1}: ${literals.join(', ')}`);
      const row = ROW.exec(line);
      const next = ROW.exec(lines[i + 1] ?? '');
      if (row && next && literals.length < 2) found.push(`${file}:${i + 1}: ${row[2]}, ${next[2]}`);
    });
  }
  return found;
}

describe('the saga steps have one home', () => {
  it('writes no list of steps outside the step tables (the rest derives from domain/orders/steps.ts)', () => {
    expect(handWrittenStepLists()).toEqual([]);
  });

  it('finds a list of steps planted in a service and a map keyed by steps planted in a test', () => {
    const list = path.join(root, 'activities', 'zz-planted-step-list.ts');
    const map = path.join(root, 'test', 'zz-planted-step-map.ts');
    writeFileSync(list, 'export const UNDONE = [\'refundPayment\', "releaseItems"];\n');
    writeFileSync(
      map,
      "export const FAILS = {\n  processPayment: 'InsufficientFunds',\n  reserveItems: 'OutOfStock',\n};\n",
    );
    try {
      const found = handWrittenStepLists().filter((f) => f.includes('/zz-planted-'));
      expect(found).toEqual([
        'activities/zz-planted-step-list.ts:1: refundPayment, releaseItems',
        'test/zz-planted-step-map.ts:2: processPayment, reserveItems',
      ]);
    } finally {
      rmSync(list, { force: true });
      rmSync(map, { force: true });
    }
  });
});
