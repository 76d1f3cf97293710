import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Keyed hashes of customer ids (a blind index): what the platform stores where it must find a
 * customer again without storing who they are. HMAC-SHA-256 under keys derived from the
 * installation's blind-index secret (BLIND_INDEX_KEY), one key per use, so that a hash kept for
 * one purpose cannot be joined with a hash kept for another without the secret.
 */
const derive = (secret: Buffer, purpose: string) =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `order-platform ${purpose}`, 32));
const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest('base64url');

/**
 * The first character of every key document's `_id`: `~` sorts after every character a customer
 * id (or an `account:<id>` subject) may hold, so the documents keyed by a plain id that came before
 * the blind index are exactly those with `_id < '~'`, one range of the `_id` index.
 */
export const KEY_DOCUMENT_PREFIX = '~';

export function blindIndexOf(secret: Buffer) {
  const lookup = derive(secret, 'subject key lookup');
  const audit = derive(secret, 'erasure audit');
  const request = derive(secret, 'idempotent request');
  return {
    /** The `_id` of the subject's data key document in `subject_keys`. */
    keyDocumentId: (subject: string) => `${KEY_DOCUMENT_PREFIX}k1.${mac(lookup, subject)}`,
    /** How the audit records of a subject's erasures name it. */
    erasureSubject: (subject: string) => `ea1.${mac(audit, subject)}`,
    /** A request body's digest, as idempotency records keep it to tell a repeat from a different request. */
    requestDigest: (canonicalBody: string) => `rq1.${mac(request, canonicalBody)}`,
  };
}

export type BlindIndex = ReturnType<typeof blindIndexOf>;
