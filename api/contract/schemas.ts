import { z } from 'zod';

/**
 * Ids in paths and bodies (orders, customers, accounts named by clients). Spelled out rather than
 * `\w`: in the published pattern a fuzzer or client library may read `\w` as any Unicode letter.
 */
export const id = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:@-]+$/, 'ids are letters, digits and . : @ _ -');

/**
 * Published on trimmed text that must not be empty: the validator trims first, so a value of
 * spaces only is refused, and the document says so.
 */
export const NOT_BLANK = { pattern: '\\S' } as const;

export const skuSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a SKU is 1-64 letters, digits, dots, dashes or underscores');

/** `<epoch milliseconds>.<id>` (a page's nextCursor); ids are printable ASCII. */
export const CURSOR_PATTERN = /^(\d{1,15})\.([\x21-\x7e]{1,200})$/;

/** An operation that takes no query parameters of its own (a read model's consistency ones aside). */
export const emptyQuery = z.strictObject({});

/** Paging of the read-model listings, newest first. */
export const page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(216).optional().meta({
    description: 'Where the previous page ended: its nextCursor, <epoch milliseconds>.<id>',
    pattern: CURSOR_PATTERN.source,
  }),
};

/**
 * Read-your-writes on the read models (api/read-consistency.ts): also accepted as the
 * `X-Min-Position` and `X-Wait-Ms` headers.
 */
export const consistencyQuery = z.object({
  minPosition: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({ description: 'Wait until the read model has applied this global position (from a command answer)' }),
  waitMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(30_000)
    .default(5_000)
    .meta({ description: 'How long to wait for minPosition before answering 504' }),
});

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export const idempotencyHeader = z.object({
  'idempotency-key': z.string().regex(IDEMPOTENCY_KEY_PATTERN).optional().meta({
    description:
      'Makes the command safe to retry: the same key and body replay the first answer; another body is a 422; a duplicate while the first still runs is a 409 (retry)',
  }),
});

/** Every error answer: `{ error: { code, message, details } }`. */
export const errorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });
