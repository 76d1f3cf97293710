import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizationCells } from '../helpers/authorization-cells';
import { allCells } from '../workflow/matrix/cells';
import { INVARIANTS } from '../workflow/matrix/invariants';

/** Counts the docs state that a test generates: counted here from the same generators, never typed by hand. */
const doc = (name: string) => ({ name, text: readFileSync(path.resolve(__dirname, '..', '..', name), 'utf8') });
const security = doc('docs/security.md');
const reliability = doc('docs/reliability.md');

/** The paragraph of a doc that starts with `opening` (up to a blank line or the next list item), its line breaks as spaces. */
function paragraph(source: { name: string; text: string }, opening: string): string {
  const start = source.text.indexOf(opening);
  expect(start, `${source.name} has no paragraph starting "${opening}"`).toBeGreaterThanOrEqual(0);
  const ends = ['\n\n', '\n- '].map((e) => source.text.indexOf(e, start)).filter((i) => i >= 0);
  return source.text.slice(start, ends.length ? Math.min(...ends) : undefined).replace(/\s+/g, ' ');
}

const cellCounts = (text: string) =>
  [...text.matchAll(/(\d[\d,]*) cells/g)].map((m) => Number(m[1]!.replace(/,/g, '')));

describe('figures the docs state', () => {
  it('states the authorization matrix cell count, denied and allowed, as the matrix test generates them', () => {
    const { cells, denied, allowed } = authorizationCells();
    const text = paragraph(security, '`test/int/authorization-matrix.int.spec.ts` generates the matrix');
    expect(text).toContain(`**${cells.length} cells**, ${denied.length} denied and ${allowed.length} allowed`);
    expect(cellCounts(text)).toEqual([cells.length]);
  });

  it('states the saga fault matrix cell and invariant counts as the matrix test generates them', () => {
    const text = paragraph(reliability, '**Saga fault matrix**');
    expect(text).toContain(`**${allCells().length} cells × ${INVARIANTS.length} invariants**`);
    // "84 cells" appears several times in the paragraph (its run time, the sample's "all" mode): each is the generated count.
    expect(cellCounts(text).length).toBeGreaterThan(1);
    expect(new Set(cellCounts(text))).toEqual(new Set([allCells().length]));
  });
});
