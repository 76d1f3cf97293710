/**
 * Repairing a saga that waits in NEEDS_ATTENTION: a step failed for a reason an operator can fix
 * (the step table's `repairable` failures), and instead of compensating, the saga waits for one of
 * three actions, each one Update (`repair`) with a validator:
 *
 * - `retry`: run the step again now, with the same input;
 * - `correct`: replace the step's correctable input (the shipping address), then run it again;
 * - `compensate`: give up and undo what was done, with the operator's reason.
 *
 * A saga not repaired within its wait limit (SagaSettings.repairWaitMs) compensates by itself; a
 * customer's cancel is accepted while it waits. Plain data, zod and pure functions: the workflow
 * sandbox imports it.
 */
import { z } from 'zod';
import type { OrderStatus } from './status';
import { travellingAddressSchema } from './shipping-address';
import { SAGA_STEPS, type ForwardStep } from './steps';

export const REPAIR_ACTIONS = ['retry', 'correct', 'compensate'] as const;
export type RepairAction = (typeof REPAIR_ACTIONS)[number];

/** How long a saga waits for a repair when its settings do not say (sagas started before repairs existed). */
export const DEFAULT_REPAIR_WAIT_MS = 24 * 3_600_000;

/**
 * A repair as the saga receives it. The API seals the personal fields (the address, the reason);
 * a client that talks to Temporal directly may send them in the clear. Built on each call, as
 * `travellingAddressSchema` is and for the same reason. `by` is who asked (the API key's id).
 */
export function repairRequestSchema() {
  const by = () => z.string().min(1).max(200).optional();
  return z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('retry'), by: by() }),
    z.strictObject({ action: z.literal('correct'), shippingAddress: travellingAddressSchema(), by: by() }),
    z.strictObject({ action: z.literal('compensate'), reason: z.string().trim().min(1), by: by() }),
  ]);
}
export type RepairRequest = z.output<ReturnType<typeof repairRequestSchema>>;

/** The answer to an accepted repair: the saga goes on with it at once. */
export interface RepairAccepted {
  orderId: string;
  accepted: 'repair';
  action: RepairAction;
  status: OrderStatus;
}

/** The repair's Update id for one waiting period: a retried request names the same Update, and Temporal answers it once. */
export const repairUpdateId = (orderId: string, since: string) => `repair-${orderId}-${since}`;

type Row = (typeof SAGA_STEPS)[number];

/** The forward steps whose failures an operator may repair, in order. */
export const REPAIRABLE_STEPS: readonly ForwardStep[] = SAGA_STEPS.filter((s: Row) => s.repairable.length > 0).map(
  (s) => s.step,
);

/** Whether a step's failure of this type waits for a repair instead of compensating. */
export function isRepairable(step: string, failureType: string | undefined): boolean {
  const row = SAGA_STEPS.find((s) => s.step === step);
  return row !== undefined && failureType !== undefined && (row.repairable as readonly string[]).includes(failureType);
}

/** The input a `correct` repair replaces for a step, if any. */
export function correctableInput(step: string): 'shippingAddress' | undefined {
  const row = SAGA_STEPS.find((s) => s.step === step);
  return row && 'correctable' in row ? row.correctable : undefined;
}

/** The request, parsed; throws an Error whose message names every problem (the validator's refusal). */
export function parseRepairRequest(value: unknown): RepairRequest {
  const parsed = repairRequestSchema().safeParse(value);
  if (!parsed.success) throw new Error(`Invalid repair request: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}

/** Why a repair is refused for a saga in this state, or null when it is accepted. */
export function repairRefusal(
  orderId: string,
  status: OrderStatus,
  waiting: { step: string } | null | undefined,
  request: RepairRequest,
): string | null {
  if (!waiting) return `Order ${orderId} is not waiting for a repair (status ${status})`;
  if (request.action === 'correct' && correctableInput(waiting.step) !== 'shippingAddress')
    return `Order ${orderId} waits at ${waiting.step}, whose input cannot be corrected: retry or compensate`;
  return null;
}
