import type { ApiClient } from '../../api/client';
import { ORDER_STATUS, TERMINAL_STATUSES } from '../../domain/orders/status';
import type { PlacedOrder, RepairAction } from './invariants';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An address the carrier serves: what an operator corrects a refused one to. */
export const DELIVERABLE_ADDRESS = { line1: '1 Repair Row', city: 'Springfield', postalCode: '54321', country: 'US' };

/**
 * Addresses the carrier refuses (domain/shipments: a country it does not serve, a postal code of
 * zeros). The refusal depends on the address alone, never on a fault, so a retry is refused again.
 */
export const REFUSED_ADDRESSES = [
  { line1: '1 Ice Shelf', city: 'McMurdo', postalCode: '12345', country: 'AQ' },
  { line1: '0 Nowhere Rd', city: 'Springfield', postalCode: '00000', country: 'US' },
];

/** The order of the actions given to the sagas that wait, so that a few waiting sagas see all three. */
export const REPAIR_ROTATION: readonly RepairAction[] = ['correct', 'retry', 'compensate'];

interface Waiting {
  status: string;
  since?: string;
  failureReason?: string | null;
}

async function sagaNow(api: ApiClient, orderId: string): Promise<Waiting | undefined> {
  const { data } = await api
    .GET('/orders/{orderId}/saga', { params: { path: { orderId } } })
    .catch(() => ({ data: undefined }));
  if (!data) return undefined;
  const status = data as unknown as { status: string; needsAttention?: { since: string } | null };
  return {
    status: status.status,
    failureReason: data.failureReason,
    ...(status.needsAttention && { since: status.needsAttention.since }),
  };
}

// An order's outcomes, and a saga whose workflow failed.
const ENDED = new Set<string>([...TERMINAL_STATUSES, 'FAILED']);

/** Polls the saga until it waits in NEEDS_ATTENTION (other than at `notSince`) or has ended; undefined at the deadline. */
async function untilWaiting(api: ApiClient, orderId: string, deadline: number, notSince?: string) {
  while (Date.now() < deadline) {
    const now = await sagaNow(api, orderId);
    if (now?.status === ORDER_STATUS.NEEDS_ATTENTION && now.since !== undefined && now.since !== notSince) return now;
    if (now && ENDED.has(now.status)) return now;
    await sleep(250);
  }
  return undefined;
}

/**
 * Sends one repair as an operator does. A repair whose answer was lost (the API killed under it)
 * and that the retrying client sent again answers 409: the saga no longer waits where it did. That
 * counts as taken when the saga indeed moved on, since nothing else moves these sagas (they are
 * left out of the cancel storm, and the wait limit is far beyond the drill).
 */
async function send(
  api: ApiClient,
  orderId: string,
  since: string,
  body:
    | { action: 'retry' }
    | { action: 'correct'; shippingAddress: typeof DELIVERABLE_ADDRESS }
    | { action: 'compensate'; reason: string },
): Promise<number> {
  const { response } = await api.POST('/orders/{orderId}/repair', { params: { path: { orderId } }, body });
  if (response.status !== 409) return response.status;
  const now = await sagaNow(api, orderId);
  return now?.status === ORDER_STATUS.NEEDS_ATTENTION && now.since === since ? 409 : 202;
}

/**
 * Waits until the order's saga needs attention (the carrier refused its address), then repairs it
 * with the next action of the rotation: `correct` gives it a deliverable address; `retry` runs the
 * step again as it is — the carrier refuses again, the saga waits again, and is then corrected;
 * `compensate` undoes everything. A saga that ended without waiting (its payment declined, its
 * stock short) needs no repair. Records what was done on the order, for the invariant checker.
 */
export async function repairWhenWaiting(
  api: ApiClient,
  order: PlacedOrder,
  nextAction: () => RepairAction,
  withinMs: number,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  const first = await untilWaiting(api, order.orderId, deadline);
  if (!first) {
    order.repair = { action: 'none', answers: [], waits: 0, problem: `never waited nor ended within ${withinMs} ms` };
    return;
  }
  if (first.status !== ORDER_STATUS.NEEDS_ATTENTION) {
    order.repair = {
      action: 'none',
      answers: [],
      waits: 0,
      endedWithout: `${first.status}${first.failureReason ? ` (${first.failureReason})` : ''}`,
    };
    return;
  }
  const action = nextAction();
  const repair: NonNullable<PlacedOrder['repair']> = { action, answers: [], waits: 1 };
  order.repair = repair;
  if (action === 'compensate') {
    repair.answers.push(await send(api, order.orderId, first.since!, { action, reason: 'drill: carrier refuses' }));
    return;
  }
  if (action === 'retry') {
    repair.answers.push(await send(api, order.orderId, first.since!, { action }));
    const again = await untilWaiting(api, order.orderId, deadline, first.since);
    if (again?.status !== ORDER_STATUS.NEEDS_ATTENTION) {
      repair.problem = `after the retry the saga is ${again?.status ?? 'unknown'}, not waiting again`;
      return;
    }
    repair.waits = 2;
    repair.answers.push(
      await send(api, order.orderId, again.since!, { action: 'correct', shippingAddress: DELIVERABLE_ADDRESS }),
    );
    return;
  }
  repair.answers.push(
    await send(api, order.orderId, first.since!, { action: 'correct', shippingAddress: DELIVERABLE_ADDRESS }),
  );
}
