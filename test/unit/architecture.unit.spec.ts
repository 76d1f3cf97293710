import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { SOURCE_LAYERS } from '../helpers/source-tree';

const root = path.resolve(__dirname, '..', '..');
const LAYERS = SOURCE_LAYERS;

/** Runs the same check as `npm run check:architecture` (.dependency-cruiser.cjs) and lists what it forbids. */
async function violations(): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(root, '.dependency-cruiser.cjs'));
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const result = await cruise(LAYERS, {
      ...config.options,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
    });
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(cwd);
  }
}

describe('architecture', () => {
  it('has no cycles and no import that points up a layer', async () => {
    expect(await violations()).toEqual([]);
  }, 60_000);

  it('fails the check when an upward import is planted in the ground floor', async () => {
    const planted = path.join(root, 'eventstore', 'zz-planted-upward-import.ts');
    writeFileSync(planted, "export { HttpError } from '../api/errors';\n");
    try {
      expect(await violations()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^eventstore-is-the-ground-floor: eventstore\/zz-planted-upward-import\.ts -> api\/errors\.ts$/,
          ),
        ]),
      );
    } finally {
      rmSync(planted, { force: true });
    }
  }, 60_000);

  it('fails the check when a script reaches past the front door of the read side', async () => {
    const planted = path.join(root, 'scripts', 'zz-planted-read-side-import.ts');
    writeFileSync(planted, "export { runSubscription } from '../readside/engine/runner';\n");
    try {
      expect(await violations()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^read-side-through-its-front-door: scripts\/zz-planted-read-side-import\.ts -> readside\/engine\/runner\.ts$/,
          ),
        ]),
      );
    } finally {
      rmSync(planted, { force: true });
    }
  }, 60_000);

  it('fails the check when the domain imports Temporal', async () => {
    const planted = path.join(root, 'domain', 'zz-planted-temporal-import.ts');
    writeFileSync(planted, "export { defineSearchAttributeKey } from '@temporalio/common';\n");
    try {
      expect(await violations()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^domain-depends-on-nothing-above: domain\/zz-planted-temporal-import\.ts -> node_modules\/@temporalio\/common\//,
          ),
        ]),
      );
    } finally {
      rmSync(planted, { force: true });
    }
  }, 60_000);
});
