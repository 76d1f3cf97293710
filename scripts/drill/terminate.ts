import type { Client } from '@temporalio/client';
import { dataOf, idempotencyKey, type ApiClient } from '../../api/client';
import { ORDER_STATUS } from '../../domain/orders/status';
import type { PlacedOrder } from './invariants';
import { watchReadable } from './load';
import { REFUSED_ADDRESSES } from './repairs';

export interface TerminateOptions {
  api: ApiClient;
  client: Client;
  orders: number;
  readableWithinMs: number;
  deadline: number;
  say: (m: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sagas ended without an outcome, as an operator's Terminate in the Web UI ends them: each order
 * ships to an address the carrier refuses, so its saga stops mid-way — paid, its items reserved,
 * waiting in NEEDS_ATTENTION — and is terminated there. No workflow code runs on the way out; the
 * worker's settlement sweep (SETTLE_SWEEP_INTERVAL, lowered by the drill) must find each and undo
 * what it did. Waits until GET /orders/unsettled lists every one as settled.
 */
export async function terminateMidSaga(o: TerminateOptions): Promise<PlacedOrder[]> {
  const orders: PlacedOrder[] = [];
  const readable: Promise<void>[] = [];
  for (let i = 0; i < o.orders; i++) {
    const accountId = (
      await dataOf(o.api.POST('/accounts', { body: { owner: `terminated-${i}`, initialDeposit: 10_000 } }))
    ).accountId;
    const sku = `TERMINATED-${i}`;
    await dataOf(o.api.POST('/inventory', { body: { sku, quantity: 2, price: 300 } }));
    const items = [{ sku, quantity: 2 }];
    const { orderId } = await dataOf(
      o.api.POST('/orders', {
        params: { header: idempotencyKey(`drill-terminated-order-${i}`) },
        body: {
          customerId: `drill-terminated-${i}`,
          accountId,
          items,
          shippingAddress: REFUSED_ADDRESSES[i % REFUSED_ADDRESSES.length]!,
        },
      }),
    );
    const order: PlacedOrder = { orderId, accountId, items, acceptedAt: Date.now(), terminated: {} };
    readable.push(watchReadable({ api: o.api, readableWithinMs: o.readableWithinMs }, order));
    orders.push(order);
  }
  for (const order of orders) {
    for (;;) {
      const { data } = await o.api.GET('/orders/{orderId}/saga', { params: { path: { orderId: order.orderId } } });
      if (data?.status === ORDER_STATUS.NEEDS_ATTENTION) break;
      if (Date.now() > o.deadline) throw new Error(`order ${order.orderId} never waited to be terminated`);
      await sleep(250);
    }
    await o.client.workflow.getHandle(`order-${order.orderId}`).terminate('drill: terminated mid-saga');
    order.terminated!.atStatus = ORDER_STATUS.NEEDS_ATTENTION;
  }
  o.say(`${orders.length} sagas terminated while they waited; waiting for the settlement sweep`);
  const began = Date.now();
  const pending = new Set(orders.map((x) => x.orderId));
  while (pending.size) {
    const { data } = await o.api.GET('/orders/unsettled', { params: { query: { state: 'settled', limit: 500 } } });
    for (const s of data?.orders ?? [])
      if (pending.has(s.orderId)) {
        pending.delete(s.orderId);
        const order = orders.find((x) => x.orderId === s.orderId)!;
        order.terminated = { ...order.terminated, settledAs: `${s.outcome ?? '?'} ${s.status ?? '?'}` };
      }
    if (pending.size && Date.now() > o.deadline)
      throw new Error(`terminated sagas not settled by the sweep: ${[...pending].join(', ')}`);
    if (pending.size) await sleep(500);
  }
  await Promise.all(readable);
  o.say(`the sweep settled them in ${((Date.now() - began) / 1_000).toFixed(1)} s`);
  return orders;
}
