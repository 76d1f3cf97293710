/**
 * Personal data travels sealed: each personal value is encrypted with its data subject's own key
 * (infra/personal-data) as `pd1.<keyId>.<base64url iv|ciphertext|tag>`. The key id is the data
 * key's own random id, not the subject's id, so a sealed value names no one. Code that only passes
 * personal data along (the saga, projections, dead letters) treats sealed values as opaque
 * strings; only the places that must read them open them, and once the subject is erased a
 * sealed value opens to ERASED, never to an error.
 */
export const SEALED_PATTERN = /^pd1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]+)$/;

/** What a sealed value opens to once its subject has been erased: still a string. */
export const ERASED = '[erased]';

export const isSealed = (value: unknown): value is string => typeof value === 'string' && SEALED_PATTERN.test(value);

/**
 * Sealed values inside longer text: a reason typed by a person is sealed where it enters, and the
 * saga may quote it (`cancelled: <sealed reason>`), so readers open each one in place.
 */
export const SEALED_IN_TEXT = /pd1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+/g;

/**
 * The text with every sealed value in it replaced (for places that hold no keys, such as an email
 * body). A RegExp of its own per call: a global one's `lastIndex` is written by `replace`, and the
 * workflow sandbox freezes this module's exports (workers/workflow-bundle.ts).
 */
export const withoutSealed = (text: string, replacement: string) =>
  text.replace(new RegExp(SEALED_IN_TEXT), replacement);

/**
 * Which fields of each event are personal data (dot paths into `data`). Each is sealed with the
 * key of the customer the event is about, and the sealed value names that key's id, so an event
 * says both what is personal and whose key covers it. Everything else in an event (amounts,
 * quantities, SKUs, statuses, the country, pseudonyms) is not personal and stays readable.
 * Reasons are free text that may quote sealed values (`rejected: pd1.…`); they are opened in place.
 */
export const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  OrderCreated: ['customerId', 'shippingAddress.line1', 'shippingAddress.city', 'shippingAddress.postalCode'],
  ShippingAddressChanged: ['address.line1', 'address.city', 'address.postalCode'],
  ShipmentScheduled: ['address.line1', 'address.city', 'address.postalCode'],
  OrderCompleted: ['customerId'],
  OrderCancelled: ['customerId'],
  AccountOpened: ['owner', 'customerId'],
};

/** The declared personal fields of an event that hold something other than a sealed value (absent and null are fine). */
export function unsealedPersonalFields(type: string, data: unknown): string[] {
  return (PERSONAL_FIELDS[type] ?? []).filter((field) => {
    const value = field
      .split('.')
      .reduce<unknown>(
        (at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
        data,
      );
    return value !== undefined && value !== null && !isSealed(value);
  });
}
