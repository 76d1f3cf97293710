import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PERSONAL_FIELDS, unsealedPersonalFields } from '../../domain/personal-data';

const sealed = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/))
  .map(([keyId, body]) => `pd1.${keyId}.${body}`);

/** `data` with `value` at a dot path. */
const at = (data: Record<string, unknown>, field: string, value: unknown) => {
  const keys = field.split('.');
  let node = data;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return data;
};

describe('the personal fields events declare', () => {
  it('finds exactly the declared fields that hold something other than a sealed value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(PERSONAL_FIELDS)),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.string(),
        sealed,
        (type, plainAt, plain, seal) => {
          const fields = PERSONAL_FIELDS[type]!;
          const data: Record<string, unknown> = { orderId: 'o-1', total: 100, country: 'US' };
          fields.forEach((field, i) => at(data, field, plainAt[i] && !/^pd1\./.test(plain) ? plain : seal));
          const expected = fields.filter((_, i) => plainAt[i] && !/^pd1\./.test(plain));
          expect(unsealedPersonalFields(type, data)).toEqual(expected);
        },
      ),
    );
    // Absent and null are not personal data; other types of events declare nothing.
    expect(unsealedPersonalFields('OrderCancelled', { orderId: 'o', customerId: null })).toEqual([]);
    expect(unsealedPersonalFields('OrderCompleted', { orderId: 'o' })).toEqual([]);
    expect(unsealedPersonalFields('PaymentCompleted', { orderId: 'o', accountId: 'a', amount: 1 })).toEqual([]);
  });
});
