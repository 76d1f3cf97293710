import type { z } from 'zod';

/**
 * A read model's document, declared once as a zod schema: the projection writes documents of the
 * schema's type, and the API answers with them and publishes their schema, both derived from this
 * declaration (api/contract/read-model-answer.ts). `id` is what an answer calls the document's
 * `_id`; `internal` are the fields the read side keeps for itself (bookkeeping, filter keys), which
 * are never answered; `personal` hold values sealed with a customer's key, which an answer opens
 * (and no other field: one may carry text a client chose).
 */
export interface ReadModelView<
  Shape extends z.core.$ZodShape = z.core.$ZodShape,
  Id extends string = string,
  Internal extends keyof Shape & string = keyof Shape & string,
> {
  readonly document: z.ZodObject<Shape>;
  readonly id: Id;
  readonly internal: readonly Internal[];
  readonly personal: readonly Exclude<keyof Shape & string, Internal>[];
}

export function readModelView<
  Shape extends z.core.$ZodShape,
  const Id extends string,
  const Internal extends keyof Shape & string,
>(
  document: z.ZodObject<Shape>,
  view: { id: Id; internal: readonly Internal[]; personal: readonly Exclude<keyof Shape & string, Internal>[] },
): ReadModelView<Shape, Id, Internal> {
  return { document, ...view };
}
