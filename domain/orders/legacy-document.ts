import type { OrderRecord, OrderState } from './commands';
import { evolve } from './decider';
import type { OrderEvent } from './events';
import type { CompensationStep } from './saga';
import { ORDER_STATUS, type OrderStatus } from './status';

/**
 * An order as the Order service kept it before its stream was its state: one document per order,
 * written before each event. A crash between the two left the document ahead of the stream (an
 * order whose OrderCreated, or whose later events, are missing). Nothing writes these any more;
 * the service reads one when it folds an order's stream afresh.
 */
export interface LegacyOrderDocument extends OrderRecord {
  _id: string;
  status: OrderStatus;
  failureReason?: string | null;
  openCompensations?: CompensationStep[];
}

const { AWAITING_APPROVAL, COMPLETED, COMPENSATING, CANCELLED, COMPENSATION_INCOMPLETE } = ORDER_STATUS;

/**
 * The events that bring a stream's fold up to what the legacy document says, in the order they
 * happened; nothing for what the stream already records. Appended before the next decision's own
 * events, so the stream says at last what the document said.
 */
export function catchUpWithDocument(state: OrderState, doc: LegacyOrderDocument): OrderEvent[] {
  const orderId = doc._id;
  const { customerId, customer, accountId, items, total, shippingAddress } = doc;
  const requiresApproval = doc.requiresApproval === true;
  const reason = doc.failureReason ?? 'unknown';
  const history: OrderEvent[] = [
    {
      type: 'OrderCreated',
      data: {
        orderId,
        customerId,
        ...(customer !== undefined && { customer }),
        accountId,
        items,
        total,
        shippingAddress,
        requiresApproval,
      },
    },
  ];
  if (
    requiresApproval &&
    doc.status !== AWAITING_APPROVAL &&
    doc.status !== COMPENSATING &&
    doc.status !== CANCELLED &&
    doc.status !== COMPENSATION_INCOMPLETE
  ) {
    history.push({ type: 'OrderApproved', data: { orderId } });
  }
  if (doc.status === COMPLETED) history.push({ type: 'OrderCompleted', data: { orderId, customerId, total, items } });
  if (doc.status === COMPENSATING) history.push({ type: 'OrderCompensating', data: { orderId, reason } });
  if (doc.status === CANCELLED || doc.status === COMPENSATION_INCOMPLETE) {
    const open = doc.status === COMPENSATION_INCOMPLETE ? (doc.openCompensations ?? []) : [];
    history.push({
      type: 'OrderCancelled',
      data: { orderId, customerId, total, reason, ...(open.length > 0 ? { openCompensations: open } : {}) },
    });
  }
  // Only what moves the fold: an event the stream already holds (or that the table ignores from here) is left out.
  const missing: OrderEvent[] = [];
  let at = state;
  for (const event of history) {
    const next = evolve(at, event);
    if (next !== at) missing.push(event);
    at = next;
  }
  return missing;
}
