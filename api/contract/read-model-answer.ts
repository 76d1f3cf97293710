import { z } from 'zod';
import type { ReadModelView } from '../../readside';

/**
 * A read model's answer, for every read model alike, derived from the one declaration of its
 * document (readside/projections/view.ts): `_id` under the view's name for it, internal fields left out,
 * instants as ISO 8601 strings, an absent field as null (an absent list as empty), and the
 * personal fields opened. The value (answerOf) and its published schema (answerSchema) are derived
 * side by side so they agree.
 */

// `any`: any view, whatever its fields.
type AnyView = ReadModelView<any, string, any>;
type ShapeOf<V> = V extends ReadModelView<infer Shape, string, infer _> ? Shape : never;
type AnswerKeyOf<K, V extends AnyView> = K extends '_id' ? V['id'] : K;
/** The fields of a view's answer. */
export type AnswerKey<V extends AnyView> = AnswerKeyOf<Exclude<keyof ShapeOf<V> & string, V['internal'][number]>, V>;

const instant = z.string().meta({ format: 'date-time' });

/** A document's field as the answer carries it (still sealed if personal). */
function answerValue(field: z.ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return isList(field) ? [] : null;
  return value instanceof Date ? value.toISOString() : value;
}

/** The published schema of a field, as answerValue answers it. */
function answerField(field: z.ZodType): z.ZodType {
  if (field instanceof z.ZodOptional)
    return isList(field) ? (field.unwrap() as z.ZodType) : answerField(field.unwrap() as z.ZodType).nullable();
  if (field instanceof z.ZodDate) return instant;
  return field;
}

const isList = (field: z.ZodType): boolean =>
  field instanceof z.ZodArray || (field instanceof z.ZodOptional && field.unwrap() instanceof z.ZodArray);

/** The fields of a view's answer: [document field, answer field], in the order the document declares them. */
function answerFields(view: AnyView): Array<[string, string]> {
  return Object.keys(view.document.shape)
    .filter((key) => !view.internal.includes(key))
    .map((key) => [key, key === '_id' ? view.id : key]);
}

/** The answer for one document of the view, its personal fields opened with `open`. */
export async function answerOf<V extends AnyView>(
  view: V,
  document: z.infer<V['document']>,
  open: (sealed: unknown) => Promise<unknown>,
): Promise<Record<AnswerKey<V>, unknown>> {
  const shape = view.document.shape as Record<string, z.ZodType>;
  const stored = document as Record<string, unknown>;
  const personal: readonly string[] = view.personal;
  const fields = answerFields(view).map(async ([from, to]) => {
    const value = answerValue(shape[from]!, stored[from]);
    return [to, personal.includes(from) ? await open(value) : value] as const;
  });
  return Object.fromEntries(await Promise.all(fields)) as Record<AnswerKey<V>, unknown>;
}

/**
 * The answer's published schema (a loose object: fields may be added without breaking a client).
 * `unpublished` fields are answered but not named in it; `publish` states a field otherwise than
 * the document does (fewer sub-fields, or nullable) where the contract has always said so.
 */
export function answerSchema<V extends AnyView, const Unpublished extends AnswerKey<V> = never>(
  view: V,
  options: {
    unpublished?: readonly Unpublished[];
    publish?: Partial<Record<Exclude<AnswerKey<V>, Unpublished>, z.ZodType>>;
  } = {},
): z.ZodObject<Record<Exclude<AnswerKey<V>, Unpublished>, z.ZodType>, z.core.$loose> {
  const shape = view.document.shape as Record<string, z.ZodType>;
  const unpublished: readonly string[] = options.unpublished ?? [];
  const publish = (options.publish ?? {}) as Record<string, z.ZodType | undefined>;
  const fields = answerFields(view)
    .filter(([, to]) => !unpublished.includes(to))
    .map(([from, to]) => [to, publish[to] ?? answerField(shape[from]!)] as const);
  return z.looseObject(Object.fromEntries(fields)) as z.ZodObject<
    Record<Exclude<AnswerKey<V>, Unpublished>, z.ZodType>,
    z.core.$loose
  >;
}
