/**
 * Ids of workflow changes guarded with `patched()`: sagas started before a change replay the old
 * way, sagas started after it the new way. Never rename or reuse an id; remove one only as
 * docs/workflow-changes.md describes (deprecatePatch first, once no saga older than it runs).
 */

/** A rejection is recorded (OrderRejected: who and why) before the saga compensates. */
export const ORDER_REJECTION_RECORDED = 'order-rejection-recorded';
