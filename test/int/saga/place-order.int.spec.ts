import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sagaSettings } from '../../../config/saga';
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  placedUpdate,
  placedUpdateId,
  placementQuery,
  WORKFLOW_NAMES,
  type OrderSagaWorkflow,
} from '../../../workflows/client';
import { idempotencyKey } from '../../../api/client';
import { apiOf, http } from '../../helpers/stack';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';

const THRESHOLD = 50_000;

/**
 * POST /orders is Update-with-Start: the answer carries what the saga decided in its first step
 * (prices from the catalog, the total, whether it waits for approval), and it is the same answer
 * for the same Idempotency-Key and body, even once the key's retention is over and the saga closed.
 */
describe('placing an order (Update-with-Start)', () => {
  const t = useSagaStack({ ...fastSaga, APPROVAL_THRESHOLD: THRESHOLD, IDEMPOTENCY_RETENTION: 1_000 });

  it('answers with the prices, total and approval the saga decided, and they are what the saga records and charges', async () => {
    const accountId = await t.h.openAccount(10_000_000);
    const kinds = new Set<boolean>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 20 }), price: fc.integer({ min: 1, max: 9_000 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        async (lines) => {
          const skus = lines.map(() => t.h.unique('PLACE'));
          for (const [i, line] of lines.entries()) await t.h.stock(skus[i]!, 100, line.price);
          const res = await apiOf(t.stack).POST('/orders', {
            body: {
              customerId: 'cust-1',
              accountId,
              items: lines.map((l, i) => ({ sku: skus[i]!, quantity: l.quantity })),
              shippingAddress: address,
            },
          });
          expect(res.response.status, JSON.stringify(res.error)).toBe(202);
          const placed = res.data!;
          kinds.add(placed.requiresApproval);
          const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
          expect(placed).toMatchObject({
            workflowId: `order-${placed.orderId}`,
            total,
            requiresApproval: total > THRESHOLD,
          });
          expect(placed.items).toEqual(
            lines.map((l, i) => ({ sku: skus[i], quantity: l.quantity, unitPrice: l.price })),
          );
          expect(placed.status).toBe(total > THRESHOLD ? 'AWAITING_APPROVAL' : 'PENDING');
          expect(res.response.headers.get('location')).toBe(`/orders/${placed.orderId}`);
          // The saga recorded exactly these prices.
          const created = (await t.h.orderEvents(placed.orderId)).find((e) => e.type === 'OrderCreated')!;
          expect(created.data).toMatchObject({ total, requiresApproval: total > THRESHOLD, items: placed.items });
          if (total > THRESHOLD)
            await apiOf(t.stack).POST('/orders/{orderId}/reject', {
              params: { path: { orderId: placed.orderId } },
              body: { reason: 'test' },
            });
          else expect(await t.h.result(placed.orderId)).toMatchObject({ status: 'COMPLETED' });
        },
      ),
      { numRuns: 6, seed: 20261127 },
    );
    // The generated orders covered both sides of the approval threshold.
    expect(kinds).toEqual(new Set([true, false]));
  }, 120_000);

  it("carries the catalog prices it checked the order with in the saga's input, whatever the client sends", async () => {
    const accountId = await t.h.openAccount(100_000);
    const [cheap, dear] = [t.h.unique('PLACE-PRICED'), t.h.unique('PLACE-PRICED')];
    await t.h.stock(cheap, 10, 125);
    await t.h.stock(dear, 10, 4_000);
    const order = {
      customerId: 'cust-1',
      accountId,
      items: [
        { sku: cheap, quantity: 2 },
        { sku: dear, quantity: 1 },
      ],
      shippingAddress: address,
    };
    // Prices are no field of the order a client places (a raw request: the typed client cannot send one).
    expect(
      (await http(t.stack.baseUrl, 'POST', '/orders', { ...order, prices: { [cheap]: 1, [dear]: 1 } })).status,
    ).toBe(400);
    const res = await apiOf(t.stack).POST('/orders', { body: order });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    const { orderId } = res.data!;
    const history = (await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory()).events ?? [];
    const converter = t.stack.client.options.loadedDataConverter;
    let started = history[0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    for (const codec of [...converter.payloadCodecs].reverse()) started = await codec.decode(started);
    expect(converter.payloadConverter.fromPayload(started[0]!)).toMatchObject({
      orderId,
      prices: { [cheap]: 125, [dear]: 4_000 },
    });
    expect(await t.h.result(orderId)).toMatchObject({ status: 'COMPLETED' });
    expect(await t.h.balance(accountId)).toBe(100_000 - 4_250);
  }, 60_000);

  it('joins concurrent Update-with-Start calls for one order into one saga with one answer', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('PLACE-RACE');
    await t.h.stock(sku, 5, 250);
    const orderId = t.h.unique('race-order');
    const input = {
      orderId,
      customerId: 'cust-1',
      accountId,
      items: [{ sku, quantity: 2 }],
      shippingAddress: address,
      correlationId: orderId,
      settings: sagaSettings(t.stack.config),
    };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.stack.client.workflow.executeUpdateWithStart(placedUpdate, {
          updateId: placedUpdateId(orderId),
          startWorkflowOperation: new WithStartWorkflowOperation<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
            workflowId: `order-${orderId}`,
            taskQueue: t.stack.config.TASK_QUEUE,
            args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          }),
        }),
      ),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ orderId, total: 500, requiresApproval: false });
    expect(await t.h.result(orderId)).toMatchObject({ status: 'COMPLETED' });
    expect((await t.h.accountEvents(accountId)).filter((e) => e.type === 'Withdrawn')).toHaveLength(1);
  });

  it('gives the same answer to the same key and body after the saga closed and the key expired, and runs one saga', async () => {
    const accountId = await t.h.openAccount(100_000);
    const sku = t.h.unique('PLACE-LATE');
    await t.h.stock(sku, 10, 700);
    const body = { customerId: 'cust-1', accountId, items: [{ sku, quantity: 3 }], shippingAddress: address };
    const key = t.h.unique('late-key');
    const place = () => apiOf(t.stack).POST('/orders', { body, params: { header: idempotencyKey(key) } });
    const first = await place();
    expect(first.response.status, JSON.stringify(first.error)).toBe(202);
    expect(first.data!.total).toBe(2_100);
    expect(await t.h.result(first.data!.orderId)).toMatchObject({ status: 'COMPLETED' });
    // A price change after the order does not change what the order was placed at.
    await t.h.stock(sku, 0, 999);
    await new Promise((r) => setTimeout(r, 1_200));

    const late = await place();
    expect(late.response.status, JSON.stringify(late.error)).toBe(202);
    expect(late.response.headers.get('idempotent-replayed')).toBeNull(); // the stored answer expired: the saga's Update answered
    expect(late.data).toEqual(first.data);
    let sagas = 0;
    for await (const _ of t.stack.client.workflow.list({ query: `WorkflowId = 'order-${first.data!.orderId}'` }))
      sagas++;
    expect(sagas).toBe(1);
    expect((await t.h.accountEvents(accountId)).filter((e) => e.type === 'Withdrawn')).toHaveLength(1);
  });

  it('still runs a saga started without the Update (as `temporal workflow start` does)', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('PLACE-CLI');
    await t.h.stock(sku, 5, 400);
    const orderId = t.h.unique('cli-order');
    const handle = await t.stack.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
      workflowId: `order-${orderId}`,
      taskQueue: t.stack.config.TASK_QUEUE,
      args: [
        {
          orderId,
          customerId: 'cust-1',
          accountId,
          items: [{ sku, quantity: 2 }],
          shippingAddress: address,
          correlationId: orderId,
          settings: sagaSettings(t.stack.config),
        },
      ],
    });
    expect(await handle.result()).toEqual({ orderId, status: 'COMPLETED', failureReason: null });
    expect(await t.h.balance(accountId)).toBe(9_200);
    // Closed without the Update, it still tells what it decided (what a late retry of POST /orders is answered).
    expect(await handle.query(placementQuery)).toEqual({
      orderId,
      workflowId: `order-${orderId}`,
      status: 'COMPLETED',
      total: 800,
      items: [{ sku, quantity: 2, unitPrice: 400 }],
      requiresApproval: false,
    });
  });
});
