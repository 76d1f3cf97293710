import { z } from 'zod';

/**
 * The one definition of a valid shipping address. The API validates request bodies with it, and the
 * saga's address Update validator does too, so a malformed address sent straight to Temporal
 * (`temporal workflow update`) is refused at the door instead of failing inside scheduleShipment.
 */
export const shippingAddressSchema = z.strictObject({
  line1: z.string().trim().min(1).max(200).meta({ pattern: '\\S' }),
  city: z.string().trim().min(1).max(100).meta({ pattern: '\\S' }),
  postalCode: z.string().trim().min(1).max(20).meta({ pattern: '\\S' }),
  country: z.string().trim().regex(/^[A-Za-z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code').transform((c) => c.toUpperCase()),
});

/** The address, normalized; throws an Error whose message names every problem. */
export function parseShippingAddress(value: unknown): z.output<typeof shippingAddressSchema> {
  const parsed = shippingAddressSchema.safeParse(value);
  if (!parsed.success) throw new Error(`Invalid shipping address: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}
