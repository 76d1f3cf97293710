import { idempotencyKey, retryingFetch, type ApiClient } from '../../api/client';
import type { PlacedOrder, RepairAction } from './invariants';
import { REFUSED_ADDRESSES, REPAIR_ROTATION, repairWhenWaiting } from './repairs';

export interface LoadOptions {
  /** A retrying client (retryingFetch): the API is killed and restarted under the load. */
  api: ApiClient;
  sagas: number;
  concurrency: number;
  richAccounts: string[];
  poorAccounts: string[];
  skus: string[];
  /**
   * The SKU the refused-address orders buy one unit of, stocked for all of them: a repair needs
   * its saga to reach the carrier, and the shared SKUs run out on purpose.
   */
  repairSku: string;
  /** Every n-th order is cancelled at a random moment of its saga (0: no cancel storm). */
  cancelEvery: number;
  /** Cancels land uniformly within this many ms after the order was accepted. */
  cancelWithinMs: number;
  /** Each client waits up to this long (uniformly) between orders, so orders overlap every fault. */
  paceMs: number;
  /** How long an accepted order may take to become readable before it counts as a violation. */
  readableWithinMs: number;
  /**
   * Every order whose number is 1 modulo this (never a multiple of `cancelEvery`, which must divide
   * it) ships to an address the carrier refuses: its saga waits in NEEDS_ATTENTION and is repaired
   * (./repairs.ts). 0: none.
   */
  refusedEvery: number;
  /** How long a refused order's saga may take to need attention and be repaired. */
  repairWithinMs: number;
}

const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Places orders from `concurrency` clients, the way a careful client does (idempotency keys,
 * retries). Each accepted order is then watched until `GET /orders/:id` answers, and every
 * `cancelEvery`-th one is cancelled at a random moment, so cancels land before creation, during
 * every step, at the point of no return and after the end.
 */
export async function placeOrders(o: LoadOptions): Promise<PlacedOrder[]> {
  const orders: PlacedOrder[] = [];
  const followUps: Promise<void>[] = [];
  let next = 0;
  let repairs = 0;
  const nextAction = (): RepairAction => REPAIR_ROTATION[repairs++ % REPAIR_ROTATION.length]!;
  const client = async () => {
    while (next < o.sagas) {
      const n = next++;
      const refused = o.refusedEvery > 0 && n % o.refusedEvery === 1;
      // A refused address is the subject of its order: the poor accounts' declines are others'.
      const accountId = n % 10 === 9 && !refused ? pick(o.poorAccounts) : pick(o.richAccounts);
      const items = refused
        ? [{ sku: o.repairSku, quantity: 1 }]
        : [...new Set([pick(o.skus), pick(o.skus)])].map((sku) => ({
            sku,
            quantity: 1 + Math.floor(Math.random() * 3),
          }));
      const body = {
        customerId: `drill-${n % 13}`,
        accountId,
        items,
        shippingAddress: refused
          ? REFUSED_ADDRESSES[Math.floor(n / o.refusedEvery) % REFUSED_ADDRESSES.length]!
          : { line1: `${n} Main St`, city: 'Springfield', postalCode: '12345', country: 'US' },
      };
      const { data, error, response } = await o.api.POST('/orders', {
        params: { header: idempotencyKey(`drill-order-${n}`) },
        body,
      });
      if (response.status !== 202 || !data)
        throw new Error(`order ${n} refused: ${response.status} ${JSON.stringify(error)}`);
      const order: PlacedOrder = { orderId: data.orderId, accountId, items, acceptedAt: Date.now() };
      orders.push(order);
      followUps.push(watchReadable(o, order));
      if (o.cancelEvery > 0 && n % o.cancelEvery === 0) followUps.push(cancelLater(o, order));
      if (refused) followUps.push(repairWhenWaiting(o.api, order, nextAction, o.repairWithinMs));
      await sleep(Math.random() * o.paceMs);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  await Promise.all(followUps);
  return orders;
}

/** Follows an accepted order until `GET /orders/:id` answers, and records how long that took. */
export async function watchReadable(
  o: Pick<LoadOptions, 'api' | 'readableWithinMs'>,
  order: PlacedOrder,
): Promise<void> {
  const deadline = order.acceptedAt + o.readableWithinMs;
  while (Date.now() < deadline) {
    const fetch = retryingFetch({ deadlineMs: Math.max(1_000, deadline - Date.now()) });
    const res = await o.api
      .GET('/orders/{orderId}', { params: { path: { orderId: order.orderId } }, fetch })
      .catch(() => undefined);
    if (res?.response.status === 200) {
      order.readableAfterMs = Date.now() - order.acceptedAt;
      return;
    }
    await sleep(200);
  }
}

async function cancelLater(o: LoadOptions, order: PlacedOrder): Promise<void> {
  await sleep(Math.random() * o.cancelWithinMs);
  const { response, error } = await o.api.POST('/orders/{orderId}/cancel', {
    params: { path: { orderId: order.orderId } },
    body: { reason: 'drill cancel storm' },
  });
  order.cancel = {
    status: response.status,
    afterMs: Date.now() - order.acceptedAt,
    ...(response.status !== 202 && { answer: JSON.stringify(error).slice(0, 200) }),
  };
}
