import { z } from 'zod';
import { SEALED_PATTERN } from '../personal-data';

/**
 * The one definition of a valid shipping address. The API validates request bodies with it, and the
 * saga's address Update validator does too, so a malformed address sent straight to Temporal
 * (`temporal workflow update`) is refused at the door instead of failing inside scheduleShipment.
 * Built afresh on each call (see `travellingAddressSchema`).
 */
const addressFields = () => ({
  line1: z.string().trim().min(1).max(200).meta({ pattern: '\\S' }),
  city: z.string().trim().min(1).max(100).meta({ pattern: '\\S' }),
  postalCode: z.string().trim().min(1).max(20).meta({ pattern: '\\S' }),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code')
    .transform((c) => c.toUpperCase()),
});

/** The address as the API receives it, in the clear. */
export const shippingAddressSchema = z.strictObject(addressFields());

/** A personal field as it travels: sealed with the customer's key (domain/personal-data.ts), or in the clear. */
// A RegExp of its own: zod resets `lastIndex` on the one it is given, and a shared one is frozen.
const travelling = (plain: z.ZodString) =>
  z.union([z.string().regex(new RegExp(SEALED_PATTERN.source, SEALED_PATTERN.flags)), plain]);

/**
 * An address as the saga receives it: the API seals its personal fields, and a client that talks
 * to Temporal directly (the CLI, a recorded history) may send them in the clear. Either is valid.
 *
 * Built on each call, never kept in a module: the worker evaluates the workflow modules once per
 * V8 context and the SDK freezes what they export (workers/workflow-bundle.ts), and zod completes
 * a schema on its first parse, which a frozen schema refuses. The saga parses only when an address
 * change or a repair arrives, so building the schema then costs nothing that matters.
 */
export function travellingAddressSchema() {
  const fields = addressFields();
  return z.strictObject({
    line1: travelling(fields.line1),
    city: travelling(fields.city),
    postalCode: travelling(fields.postalCode),
    country: fields.country,
  });
}

/** The address, normalized; throws an Error whose message names every problem. */
export function parseShippingAddress(value: unknown): z.output<ReturnType<typeof travellingAddressSchema>> {
  const parsed = travellingAddressSchema().safeParse(value);
  if (!parsed.success)
    throw new Error(`Invalid shipping address: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}
