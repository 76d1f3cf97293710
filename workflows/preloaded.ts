import { z } from 'zod';

/**
 * Loaded once per V8 context of the worker's workflow threads, before any workflow runs, and
 * shared by every workflow in it (the bundle's `preloadModules`, workers/workflow-bundle.ts):
 * otherwise every new saga evaluates zod's modules again, milliseconds of CPU per saga for nothing.
 * This module, not 'zod' itself, is what the bundle preloads: zod declares itself free of side
 * effects, so webpack drops a bare `require('zod')` whose result nobody uses.
 *
 * The SDK freezes what is shared, so what zod sets up on first use (its global settings, its
 * module-level caches) is set up here, while it still can be: one schema of each kind the
 * workflows use, built and run once. A kind zod would set up lazily that is missing here fails the
 * workflow task that first builds it (test/workflow/preloaded-bundle.workflow.spec.ts runs the
 * saga's validators on this bundle). Only stateless libraries belong here: a module that keeps
 * per-workflow state would carry it from one saga to the next.
 */
const warmUp = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('a'),
    text: z
      .string()
      .trim()
      .min(1)
      .max(2)
      .regex(/^\S+$/)
      .meta({ pattern: '\\S' })
      .transform((s) => s.toUpperCase()),
    either: z.union([z.string().regex(/^x$/), z.string()]).optional(),
  }),
  z.strictObject({ kind: z.literal('b') }),
]);
for (const value of [{ kind: 'a', text: 'ab', either: 'x' }, { kind: 'a', text: '' }, { kind: 'c' }, null]) {
  const parsed = warmUp.safeParse(value);
  if (!parsed.success) z.prettifyError(parsed.error);
}

export { z };
