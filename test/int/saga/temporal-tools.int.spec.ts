import { describe, expect, it } from 'vitest';
import { ACTIVITY_STEPS } from '../../../domain/orders/steps';
import { fastSaga, useSagaStack } from '../../helpers/saga';
import { temporal } from '../../helpers/temporal-cli';
import { waitFor } from '../../helpers/wait-for';
import { apiOf } from '../../helpers/stack';
import { calledActivity, type ShownHistoryEvent } from '../../helpers/saga-path';

describe("sagas in Temporal's own tools", () => {
  const t = useSagaStack(fastSaga);

  it("shows a saga's history with `temporal workflow show` and finds it by order id with `temporal workflow list --query`", async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 3, 400);
    const customerId = t.h.unique('cust');
    const { orderId } = await t.h.placeOrder({ customerId, accountId, items: [{ sku, quantity: 1 }] });
    await t.h.result(orderId);

    const shown = JSON.parse(
      await temporal(t.stack.config.TEMPORAL_ADDRESS!, [
        'workflow',
        'show',
        '--workflow-id',
        `order-${orderId}`,
        '--output',
        'json',
      ]),
    );
    const activities = (shown.events as ShownHistoryEvent[]).flatMap((e) => calledActivity(e) ?? []);
    expect(activities).toEqual(ACTIVITY_STEPS);

    // Visibility is eventually consistent: wait until the list sees the final status.
    const listed = await waitFor('the saga in `temporal workflow list`', async () => {
      const out = await temporal(t.stack.config.TEMPORAL_ADDRESS!, [
        'workflow',
        'list',
        '--query',
        `OrderId = '${orderId}' AND OrderStatus = 'COMPLETED'`,
        '--output',
        'json',
      ]);
      const rows = out.trim() ? JSON.parse(out) : [];
      return rows.length === 1 ? rows : undefined;
    });
    expect(listed[0].execution.workflowId).toBe(`order-${orderId}`);
    // Temporal holds no customer id: the operator asks the API for the customer's pseudonym (and
    // the query to paste), and finds the saga with it.
    const found = await apiOf(t.stack).GET('/customers/{customerId}/sagas', { params: { path: { customerId } } });
    expect(found.response.status, JSON.stringify(found.error)).toBe(200);
    expect(found.data!.pseudonym).not.toContain(customerId);
    expect(found.data!.sagas.map((s) => s.workflowId)).toEqual([`order-${orderId}`]);
    const byPseudonym = await temporal(t.stack.config.TEMPORAL_ADDRESS!, [
      'workflow',
      'list',
      '--query',
      found.data!.query!,
      '--output',
      'json',
    ]);
    expect(JSON.parse(byPseudonym)).toHaveLength(1);
    const byId = await temporal(t.stack.config.TEMPORAL_ADDRESS!, [
      'workflow',
      'list',
      '--query',
      `CustomerId = '${customerId}'`,
      '--output',
      'json',
    ]);
    expect(byId.trim() ? JSON.parse(byId) : []).toHaveLength(0);
  });
});
