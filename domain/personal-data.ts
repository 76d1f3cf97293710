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

/** The text with every sealed value in it replaced (for places that hold no keys, such as an email body). */
export const withoutSealed = (text: string, replacement: string) => text.replace(SEALED_IN_TEXT, replacement);
