import { createHash } from 'node:crypto';

/**
 * A stable event id built from the parts that identify one intended effect, e.g.
 * `deterministicEventId('payment', orderId, 'debit')`. A retried activity computes the same id,
 * so its append is recognised as a repeat and writes nothing. Shaped as a UUID (version 8).
 */
export function deterministicEventId(...parts: Array<string | number>): string {
  if (parts.length === 0) throw new TypeError('deterministicEventId needs at least one part');
  const hex = createHash('sha256')
    .update(JSON.stringify(parts.map(String)))
    .digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
