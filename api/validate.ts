import type { z } from 'zod';
import { HttpError, validationError } from './errors';

/** Validates one part of a request at the edge; throws a 400 naming the first bad field. */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'query' | 'params' | 'headers',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/**
 * A `from` after its `to` is well formed but can match nothing: refused as a rule (422
 * empty_range, naming `from`), after the query's shape has passed. `after` compares two bounds.
 */
export function refuseEmptyRange<T>(from: T | undefined, to: T | undefined, after: (a: T, b: T) => boolean): void {
  if (from === undefined || to === undefined || !after(from, to)) return;
  const message = 'from must not be after to';
  throw new HttpError(422, 'empty_range', `query: from: ${message}`, [{ field: 'from', message }]);
}
