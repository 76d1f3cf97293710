import { z } from 'zod';
import { SEALED_PATTERN } from '../personal-data';

/**
 * The one definition of a valid shipping address. The API validates request bodies with it, and the
 * saga's address Update validator does too, so a malformed address sent straight to Temporal
 * (`temporal workflow update`) is refused at the door instead of failing inside scheduleShipment.
 */
export const shippingAddressSchema = z.strictObject({
  line1: z.string().trim().min(1).max(200).meta({ pattern: '\\S' }),
  city: z.string().trim().min(1).max(100).meta({ pattern: '\\S' }),
  postalCode: z.string().trim().min(1).max(20).meta({ pattern: '\\S' }),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code')
    .transform((c) => c.toUpperCase()),
});

/** A personal field as it travels: sealed with the customer's key (domain/personal-data.ts), or in the clear. */
const travelling = (plain: z.ZodString) => z.union([z.string().regex(SEALED_PATTERN), plain]);

/**
 * An address as the saga receives it: the API seals its personal fields, and a client that talks
 * to Temporal directly (the CLI, a recorded history) may send them in the clear. Either is valid.
 */
export const travellingAddressSchema = z.strictObject({
  line1: travelling(shippingAddressSchema.shape.line1),
  city: travelling(shippingAddressSchema.shape.city),
  postalCode: travelling(shippingAddressSchema.shape.postalCode),
  country: shippingAddressSchema.shape.country,
});

/** The address, normalized; throws an Error whose message names every problem. */
export function parseShippingAddress(value: unknown): z.output<typeof travellingAddressSchema> {
  const parsed = travellingAddressSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`Invalid shipping address: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}
