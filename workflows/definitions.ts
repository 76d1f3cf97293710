import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelAccepted, OrderPlaced, SagaStatus } from '../domain/orders/saga';
import type { ShippingAddress } from '../domain/orders/contract';
import type { RepairAccepted, RepairRequest } from '../domain/orders/repair';

/** The saga's message names, shared by the workflow and its clients (API, CLI users, tests). */
export const approveSignal = defineSignal<[{ by?: string }?]>('approve');
export const rejectSignal = defineSignal<[{ by?: string; reason?: string }?]>('reject');
export const statusQuery = defineQuery<SagaStatus>('status');
export const updateShippingAddressUpdate = defineUpdate<SagaStatus, [ShippingAddress]>('updateShippingAddress');
/**
 * Cancel as a request the saga accepts or refuses in one step: the validator refuses once the saga
 * is past its point of no return (completeOrder has started) or is already undoing itself, so a
 * caller never races the saga's own progress. A raw workflow cancel is handled the same way.
 */
export const cancelUpdate = defineUpdate<CancelAccepted, [{ reason?: string; by?: string }]>('cancel');
/**
 * The early return of placing an order: sent together with the saga's start (Update-with-Start),
 * it answers once the saga has priced the order, so the caller gets the price the saga charges.
 */
export const placedUpdate = defineUpdate<OrderPlaced, []>('placed');
/** The same answer as `placed`, as a query: what a saga decided, for a retry that finds it closed without that Update. */
export const placementQuery = defineQuery<OrderPlaced>('placement');
/**
 * An operator's repair of a saga waiting in NEEDS_ATTENTION (domain/orders/repair.ts): retry the
 * step, correct its input and retry, or compensate. The validator refuses when the saga is not waiting.
 */
export const repairUpdate = defineUpdate<RepairAccepted, [RepairRequest]>('repair');
