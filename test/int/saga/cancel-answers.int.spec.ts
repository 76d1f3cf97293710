import { afterEach, describe, expect, it } from 'vitest';
import type { CompensationStep, SagaEventType } from '../../../domain/orders';
import { COMPENSATION_STEPS, SAGA_STEPS } from '../../../domain/orders';
import { apiOf } from '../../helpers/stack';
import { faultsOf, type FaultService, type FaultSpec } from '../../helpers/faults';
import { fastSaga, useSagaStack } from '../../helpers/saga';

/** The event each compensation leaves in the log: none of them may exist for a completed order. */
const UNDO_EVENTS = Object.fromEntries(SAGA_STEPS.map((s) => [s.compensation, s.undoneEvent])) as Record<
  CompensationStep,
  SagaEventType
>;

/**
 * What `POST /orders/:id/cancel` answers, through the HTTP API against the real servers: refused
 * (409) from the point of no return on, and safe to repeat (202 with the current status) while the
 * order is being cancelled and once it ended cancelled.
 */
describe('cancel answers through the HTTP API', () => {
  // Compensations retry long enough here for a test to hold one with a fault and cancel meanwhile.
  const t = useSagaStack({ ...fastSaga, COMPENSATION_MAX_ATTEMPTS: 10_000 });
  const cancel = (orderId: string, body?: { reason?: string }) =>
    apiOf(t.stack).POST('/orders/{orderId}/cancel', { params: { path: { orderId } }, body });
  const faults = () => faultsOf(apiOf(t.stack));
  const fault = async (service: FaultService, spec: FaultSpec) =>
    expect((await faults().inject(service, spec)).response.status).toBe(200);
  const clear = async (service: FaultService) => expect((await faults().clear(service)).response.status).toBe(204);
  // A test that fails midway leaves no service down for the next one.
  afterEach(async () => {
    for (const f of (await faults().listed()).faults) await faults().clear(f._id as FaultService);
  });

  /** Ways of asking for the cancel at the same moment; each must get the same refusal. */
  const CANCEL_REQUESTS: Array<{ name: string; send: (orderId: string) => Array<ReturnType<typeof cancel>> }> = [
    { name: 'without a body', send: (orderId) => [cancel(orderId)] },
    { name: 'with a reason', send: (orderId) => [cancel(orderId, { reason: 'changed my mind' })] },
    { name: 'five at once', send: (orderId) => Array.from({ length: 5 }, () => cancel(orderId)) },
  ];

  it(`refuses a cancel while the saga is inside completeOrder (${CANCEL_REQUESTS.map((r) => r.name).join(', ')}) with 409 and its reason; the order completes with nothing undone`, async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 700);
    // Hold the saga in scheduleShipment just long enough to take the order service down, so that
    // completeOrder, retried until the order service answers, keeps the saga at that step.
    await fault('shipping', { mode: 'hang-after-effect', hangMs: 1_500, failures: 1 });
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
    await t.h.waitForSaga(orderId, (s) => s.currentStep === 'scheduleShipment', 'the saga to reach scheduleShipment');
    await fault('order', { mode: 'error' });
    const held = await t.h.waitForSaga(
      orderId,
      (s) => s.currentStep === 'completeOrder' && s.pastPointOfNoReturn === true,
      'the saga to be held inside completeOrder',
    );
    expect(held.status).toBe('SHIPMENT_SCHEDULED');

    for (const request of CANCEL_REQUESTS) {
      for (const res of await Promise.all(request.send(orderId))) {
        expect(res.response.status, `${request.name}: ${JSON.stringify(res.data)}`).toBe(409);
        expect(res.error?.error.code, request.name).toBe('invalid_state');
        expect(res.error?.error.message, request.name).toBe(
          `Order ${orderId} is past the point of no return: it is completing and can no longer be cancelled`,
        );
      }
    }
    const refused = await t.h.sagaStatus(orderId);
    expect(refused).toMatchObject({ cancelRequested: false, currentStep: 'completeOrder', compensationsDone: [] });

    await clear('order');
    expect(await t.h.result(orderId)).toMatchObject({ status: 'COMPLETED', failureReason: null });
    const types = (await t.h.orderEvents(orderId)).map((e) => e.type);
    expect(types).toContain('OrderCompleted');
    for (const step of COMPENSATION_STEPS) expect(types, `${step} must not have run`).not.toContain(UNDO_EVENTS[step]);
    expect(types).not.toContain('OrderCompensating');
    expect((await t.h.sagaStatus(orderId)).compensationsDone).toEqual([]);
    expect(await t.h.balance(accountId)).toBe(10_000 - 1_400); // charged once, refunded never
    expect((await t.h.level(sku)).available).toBe(3);

    // Completed: still refused, naming why.
    const late = await cancel(orderId);
    expect(late.response.status, JSON.stringify(late.data)).toBe(409);
    expect(late.error?.error).toMatchObject({
      code: 'invalid_state',
      message: `Order ${orderId} has completed and can no longer be cancelled`,
    });
  });

  it('a repeated cancel is safe: 202 with the current status while the first is carried out, while compensating, and once CANCELLED; undone once', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 500);
    await fault('inventory', { mode: 'hang-after-effect', hangMs: 1_500, failures: 1 });
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
    await t.h.waitForSaga(orderId, (s) => s.currentStep === 'reserveItems', 'the saga to reach reserveItems');
    // The refund will be held by the payment service being down (the charge is already done).
    await fault('payment', { mode: 'error' });

    const first = await cancel(orderId, { reason: 'first' });
    expect(first.response.status, JSON.stringify(first.error)).toBe(202);
    expect(first.data).toMatchObject({ orderId, accepted: 'cancel' });
    const repeat = await cancel(orderId, { reason: 'again' });
    expect(repeat.response.status, JSON.stringify(repeat.error)).toBe(202);
    expect(repeat.data).toMatchObject({ orderId, accepted: 'cancel' });

    const compensating = await t.h.waitForSaga(
      orderId,
      (s) => s.currentStep === 'refundPayment',
      'the refund to be held',
    );
    expect(compensating.status).toBe('COMPENSATING');
    const whileCompensating = await cancel(orderId);
    expect(whileCompensating.response.status, JSON.stringify(whileCompensating.error)).toBe(202);
    expect(whileCompensating.data).toEqual({ orderId, accepted: 'cancel', status: 'COMPENSATING' });

    await clear('payment');
    expect(await t.h.result(orderId)).toMatchObject({
      status: 'CANCELLED',
      failureReason: expect.stringMatching(/^cancelled: /),
    });
    const after = await cancel(orderId);
    expect(after.response.status, JSON.stringify(after.error)).toBe(202);
    expect(after.data).toEqual({ orderId, accepted: 'cancel', status: 'CANCELLED' });

    // Four cancels, one undoing: refunded once, stock back once.
    const types = (await t.h.orderEvents(orderId)).map((e) => e.type);
    expect(types.filter((type) => type === 'PaymentRefunded')).toHaveLength(1);
    expect(types.filter((type) => type === 'OrderCancelled')).toHaveLength(1);
    expect(await t.h.balance(accountId)).toBe(10_000);
    expect(await t.h.level(sku)).toMatchObject({ available: 5, reserved: 0 });
  });

  /** Ways an order ends CANCELLED other than the API's cancel; a cancel afterwards is a harmless repeat. */
  const ENDINGS: Array<{
    name: string;
    quantity: number;
    prepare?: () => Promise<void>;
    end?: (orderId: string) => Promise<void>;
  }> = [
    { name: 'a business failure (out of stock)', quantity: 50 },
    {
      name: 'a raw workflow cancel',
      quantity: 1,
      prepare: () => fault('inventory', { mode: 'hang-after-effect', hangMs: 1_500, failures: 1 }),
      end: async (orderId) => {
        await t.h.waitForSaga(orderId, (s) => s.currentStep === 'reserveItems', 'the saga to reach reserveItems');
        await t.stack.client.workflow.getHandle(`order-${orderId}`).cancel();
      },
    },
  ];

  it.each(ENDINGS)(
    'answers a cancel of an order that ended CANCELLED after $name with 202 and its status',
    async ({ quantity, prepare, end }) => {
      const accountId = await t.h.openAccount(10_000);
      const sku = t.h.unique('SKU');
      await t.h.stock(sku, 5, 100);
      await prepare?.();
      const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity }] });
      await end?.(orderId);
      await t.h.waitForSaga(orderId, (s) => s.status === 'CANCELLED', 'the order to end CANCELLED');
      const res = await cancel(orderId);
      expect(res.response.status, JSON.stringify(res.error)).toBe(202);
      expect(res.data).toEqual({ orderId, accepted: 'cancel', status: 'CANCELLED' });
      expect(await t.h.balance(accountId)).toBe(10_000);
    },
  );
});
