/**
 * Where a saga's tasks stand in the task queue when tasks wait there (Temporal's task-queue
 * priority and fairness). Lower priority keys go first (1 to 5, 3 when unset); within one key,
 * the waiting tasks of different fairness keys take turns, each in proportion to its weight.
 *
 * The fairness key is the customer's pseudonym, never the plain id: the key is stored with every
 * task and shown in the Web UI and `temporal workflow describe`, where the plain id must not be.
 */
export const SAGA_PRIORITY = {
  /** A new order's steps: the default level, so anything else left unset keeps its place. */
  placed: 3,
  /**
   * The steps after an approval: someone decided and waits for the outcome, and the order has
   * already waited for them, so its remaining steps go ahead of new orders' first steps.
   */
  approved: 2,
} as const;

export interface SagaPriority {
  priorityKey: number;
  fairnessKey: string;
  fairnessWeight: number;
}

/** A fairness key is at most 64 bytes; a pseudonym is 36 (`bi1.` and 32 base64url characters). */
export const FAIRNESS_KEY_MAX_BYTES = 64;

/** The priority a saga starts with: its customer's share of the queue, at the level of a new order. */
export function placedPriority(customerPseudonym: string): SagaPriority {
  if (customerPseudonym.length === 0 || new TextEncoder().encode(customerPseudonym).length > FAIRNESS_KEY_MAX_BYTES)
    throw new RangeError(`a fairness key is 1 to ${FAIRNESS_KEY_MAX_BYTES} bytes`);
  // Every customer weighs the same: fairness between customers, not tiers of them.
  return { priorityKey: SAGA_PRIORITY.placed, fairnessKey: customerPseudonym, fairnessWeight: 1 };
}

/** The priority of an approved saga's remaining steps; the fairness key is left as it was. */
export const approvedPriority = (): Pick<SagaPriority, 'priorityKey'> => ({ priorityKey: SAGA_PRIORITY.approved });
