/**
 * Ids of workflow changes guarded with `patched()`: sagas started before a change replay the old
 * way, sagas started after it the new way. Never rename or reuse an id; remove one only as
 * docs/workflow-changes.md describes (deprecatePatch first, once no history without its marker can
 * meet the code: Pinned sagas of older builds never do, the recorded fixtures and unpinned sagas do).
 */

/** A rejection is recorded (OrderRejected: who and why) before the saga compensates. */
export const ORDER_REJECTION_RECORDED = 'order-rejection-recorded';

/**
 * The saga with a point of no return: cancels are requests it accepts or refuses, completeOrder is
 * never compensated, bookkeeping outlasts any outage, and an incomplete compensation has its own
 * status. Checked once, at the start: sagas without the marker run legacy/order-saga-v1.ts.
 */
export const SAGA_POINT_OF_NO_RETURN = 'saga-point-of-no-return';

/** A compensation redrive claims its dead letter itself, uses the given policy, and settles the order. */
export const REDRIVE_CLAIMS_AND_SETTLES = 'redrive-claims-and-settles';

/**
 * The OrderStatus search attribute is written when the saga reaches a status operators search
 * for (waiting for approval, compensating, and the end states), not on each forward step: every
 * upsert is a visibility write on the Temporal server, and under load those writes compete with
 * the sagas for the same cores (see docs/performance.md). The status query and current details
 * still follow every step.
 */
export const STATUS_ATTRIBUTE_AT_MILESTONES = 'status-attribute-at-milestones';

/**
 * The saga read through its step table (domain/orders/steps.ts, workflows/saga/steps.ts), with its
 * handlers and state apart and its activity proxies built once. It issues the same commands as
 * the frozen body, except the STATUS_ATTRIBUTE_AT_MILESTONES marker, which it does not record (it
 * always writes the status attribute at milestones). Checked once, at the start: sagas without the marker
 * run legacy/order-saga-v2.ts.
 */
export const SAGA_STEP_TABLE = 'saga-step-table';

/**
 * createOrder and completeOrder ran as local activities, completeOrder handing a long outage over
 * to a normal activity. Superseded by SAGA_LOCAL_CREATE_ORDER (completeOrder must not run before
 * the point of no return is recorded, see workflows/saga/local.ts); kept for the sagas that
 * recorded it, which replay that way. New sagas never record it.
 */
export const SAGA_LOCAL_ORDER_STEPS = 'saga-local-order-steps';

/**
 * createOrder runs as a local activity (workflows/saga/local.ts): in the worker, inside the
 * workflow task that starts the saga, recorded as one marker, with no activity task of its own to
 * schedule, dispatch and complete. Checked once, at the start: sagas without the marker call it as
 * a normal activity.
 */
export const SAGA_LOCAL_CREATE_ORDER = 'saga-local-create-order';

/**
 * A step whose service's circuit breaker is open fails fast (ServiceUnavailable) and the saga
 * waits for the breaker to close, then runs the step again (workflows/saga/breaker-wait.ts),
 * instead of treating the failure as the end of the step's retry budget.
 */
export const SAGA_BREAKER_WAIT = 'saga-breaker-wait';

/**
 * The saga asks SAGA_BREAKER_WAIT in its first workflow task, beside its other patches and before
 * createOrder runs as a local activity, not at its first breaker step, on that local activity's
 * result. Asked on the result, the answer depends on how the history cuts workflow tasks: where
 * createOrder's marker ends a task and the step's commands open the next, a replay hands the result
 * over in the marker's task, before it announces the next task's patches, and patched() answers
 * false against a history that holds the marker (a non-determinism error, which a query that
 * replays reports). Sagas without this marker still ask at the step, where their histories hold it
 * (docs/workflow-changes.md, "A patch asked after a local activity").
 */
export const SAGA_PATCHES_AT_START = 'saga-patches-at-start';

/**
 * A step that fails for a reason an operator can fix (the step table's `repairable` failures, such
 * as an address the carrier refuses) waits in NEEDS_ATTENTION for a repair instead of compensating
 * (workflows/saga/repair.ts). Asked only when such a failure happens, so sagas that never meet one
 * record no marker.
 */
export const SAGA_REPAIR = 'saga-repair';

/**
 * One marker for every patch above that a saga started today would ask: SAGA_POINT_OF_NO_RETURN,
 * SAGA_STEP_TABLE, SAGA_LOCAL_CREATE_ORDER, SAGA_PATCHES_AT_START, SAGA_BREAKER_WAIT and SAGA_REPAIR
 * are all in force, and none of them is asked (workflows/saga/patches-in-force.ts). Each marker
 * costs two history events (the marker and a TemporalChangeVersion upsert, a visibility write on
 * the server), persisted and decoded for every saga: a new saga records this one alone. Asked
 * first, in the saga's first activation, before anything else (never on a local activity's result,
 * see SAGA_PATCHES_AT_START). Sagas without the marker ask the patches one by one, in the same
 * places and order as they did. A patch added later is asked on its own after this one, until a
 * newer baseline takes it in (asked before this one, which stays the answer for the sagas that
 * recorded it).
 */
export const SAGA_BASELINE_2026_12 = 'saga-baseline-2026-12';
