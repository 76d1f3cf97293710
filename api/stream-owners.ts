/**
 * Whose a stream of the event log is, for the `own-stream` access rule (api/policed-router.ts) and
 * the live feed's filter: a stream id names its owner (`<type>-<id>`). Apart from ownership.ts,
 * which depends on the policed router, so the router can use this.
 */
interface Ownership {
  isOrderCustomer(orderId: string, customerId: string): Promise<boolean>;
  isAccountHolder(accountId: string, customerId: string): Promise<boolean>;
}

/** The streams that belong to one order, by their type (`<type>-<orderId>`). */
export const ORDER_STREAM_TYPES = ['order', 'payment', 'reservation', 'shipment'] as const;

/**
 * Whose a stream is, for the `own-stream` rule and the live feed: an order's streams belong to the
 * order, `account-<id>` to the account; any other stream (a SKU's, the reserved ones) to no client.
 */
export function streamSubject(streamId: string): { kind: 'order' | 'account'; id: string } | null {
  const dash = streamId.indexOf('-');
  if (dash <= 0) return null;
  const type = streamId.slice(0, dash);
  const id = streamId.slice(dash + 1);
  if (!/^[A-Za-z0-9_.:@-]{1,100}$/.test(id)) return null;
  if ((ORDER_STREAM_TYPES as readonly string[]).includes(type)) return { kind: 'order', id };
  if (type === 'account') return { kind: 'account', id };
  return null;
}

/** Whether a client's customer owns the stream (its order's or its account's); false for everyone else's and no one's. */
export function ownsStream(ownership: Ownership, streamId: string, customerId: string): Promise<boolean> {
  const subject = streamSubject(streamId);
  if (!subject) return Promise.resolve(false);
  return subject.kind === 'order'
    ? ownership.isOrderCustomer(subject.id, customerId)
    : ownership.isAccountHolder(subject.id, customerId);
}
