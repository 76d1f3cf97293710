import { describe, expect, it } from 'vitest';
import { compensationsThrough } from '../../../domain/orders/steps';
import { apiOf } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { waitFor } from '../../helpers/wait-for';
import { createPersonalData, masterKeysOf } from '../../../infra/personal-data';
import {
  evolve as evolveShipment,
  initialState as initialShipment,
  type ShipmentDecision,
} from '../../../domain/shipments';

describe('order saga: each failure point compensates exactly what was done', () => {
  // A refused address waits for an operator's repair (NEEDS_ATTENTION); here none comes, and the
  // saga compensates by itself once the wait limit passes.
  const t = useSagaStack({ ...fastSaga, REPAIR_WAIT_TIMEOUT: 1_000 });
  const api = () => apiOf(t.stack);
  const faults = () => faultsOf(api());
  const deadLetter = (id: string) => ({ params: { path: { id } } });

  it('cancels the order without moving money or stock when the payment is declined (insufficient funds)', async () => {
    const accountId = await t.h.openAccount(1_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 1_500);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });

    const result = await t.h.result(orderId);
    expect(result.status).toBe('CANCELLED');
    expect(result.failureReason).toMatch(/cannot withdraw 1500/);
    expect(await t.h.balance(accountId)).toBe(1_000);
    expect((await t.h.accountEvents(accountId)).map((e) => e.type)).toEqual(['AccountOpened']);
    expect(await t.h.level(sku)).toMatchObject({ available: 5, reserved: 0 });
    // The decline is on the payment's stream (its state): a late attempt of the charge finds it and refuses.
    expect((await t.h.orderEvents(orderId)).map((e) => e.type)).toEqual([
      'OrderCreated',
      'PaymentDeclined',
      'OrderCompensating',
      'OrderCancelled',
    ]);
    const saga = await t.h.sagaStatus(orderId);
    expect(saga.compensationsDone).toEqual(compensationsThrough('processPayment'));
    expect(await t.h.orderView(orderId, 'CANCELLED')).toMatchObject({
      status: 'CANCELLED',
      failureReason: expect.stringMatching(/cannot withdraw/),
    });
  });

  it('refunds the payment when the items are out of stock', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 1, 1_000);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });

    const result = await t.h.result(orderId);
    expect(result).toMatchObject({ status: 'CANCELLED', failureReason: expect.stringMatching(/out of stock/) });
    expect(await t.h.balance(accountId)).toBe(10_000);
    const money = (await t.h.accountEvents(accountId)).map((e) => [
      e.type,
      (e.data as { amount?: number }).amount,
      (e.data as { reason?: string }).reason,
    ]);
    expect(money).toEqual([
      ['AccountOpened', undefined, undefined],
      ['Withdrawn', 2_000, 'order-payment'],
      ['Deposited', 2_000, 'refund'],
    ]);
    expect(await t.h.level(sku)).toMatchObject({ available: 1, reserved: 0 });
    expect((await t.h.orderEvents(orderId)).map((e) => e.type)).toEqual([
      'OrderCreated',
      'Withdrawn',
      'PaymentCompleted',
      'OrderCompensating',
      'Deposited',
      'PaymentRefunded',
      'OrderCancelled',
    ]);
    expect((await t.h.sagaStatus(orderId)).compensationsDone).toEqual(compensationsThrough('reserveItems'));
  });

  it('releases the items and refunds the payment when shipping fails (undeliverable address) and no repair comes within the wait limit', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 4, 500);
    const { orderId } = await t.h.placeOrder({
      accountId,
      items: [{ sku, quantity: 3 }],
      shippingAddress: { ...address, country: 'AQ' },
    });

    const result = await t.h.result(orderId);
    expect(result).toMatchObject({ status: 'CANCELLED', failureReason: expect.stringMatching(/cannot deliver/) });
    expect(await t.h.balance(accountId)).toBe(10_000);
    expect(await t.h.level(sku)).toMatchObject({ available: 4, reserved: 0 });
    // Nothing was booked: the cancellation voids the shipment on its stream, so a late booking is refused.
    expect((await t.h.orderEvents(orderId)).map((e) => e.type)).toEqual([
      'OrderCreated',
      'Withdrawn',
      'PaymentCompleted',
      'ItemsReserved',
      'OrderNeedsAttention',
      'OrderCompensating',
      'ShipmentVoided',
      'ItemsReleased',
      'Deposited',
      'PaymentRefunded',
      'OrderCancelled',
    ]);
    expect((await t.h.sagaStatus(orderId)).compensationsDone).toEqual(compensationsThrough('scheduleShipment'));
  });

  it('records a dead letter and compensates when a technical failure exhausts its retries', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 2, 700);
    expect((await faults().inject('shipping', { mode: 'error' })).response.status).toBe(200);
    try {
      const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
      const result = await t.h.result(orderId);
      // Not a clean cancel: the shipment could not be undone, so the order says so.
      expect(result).toMatchObject({
        status: 'COMPENSATION_INCOMPLETE',
        failureReason: 'shipping service unavailable (fault injected)',
        openDeadLetters: [expect.stringContaining('cancelShipment')],
      });
      expect(await t.h.orderView(orderId, 'COMPENSATION_INCOMPLETE')).toMatchObject({
        openCompensations: ['cancelShipment'],
      });

      const dead = await api().GET('/dead-letters', { params: { query: { orderId } } });
      expect(dead.response.status).toBe(200);
      // Shipping is down for good, so undoing the shipment cannot succeed either: that compensation
      // is parked as a dead letter too, and the others still run.
      const byKind = Object.fromEntries(dead.data!.deadLetters.map((d) => [d.kind, d]));
      expect(dead.data!.deadLetters).toHaveLength(2);
      expect(byKind.compensation).toMatchObject({
        service: 'shipping',
        step: 'cancelShipment',
        attempts: 5,
        status: 'open',
      });
      expect(byKind.step).toMatchObject({
        source: 'saga',
        kind: 'step',
        service: 'shipping',
        step: 'scheduleShipment',
        attempts: 6,
        workflowId: `order-${orderId}`,
        error: 'shipping service unavailable (fault injected)',
        // The exact arguments, personal fields sealed as the saga carried them.
        input: {
          orderId,
          address: {
            line1: expect.stringMatching(/^pd1\./),
            city: expect.stringMatching(/^pd1\./),
            postalCode: expect.stringMatching(/^pd1\./),
            country: address.country,
          },
        },
        status: 'open',
      });
      expect(
        await createPersonalData(t.stack.mongo.db, masterKeysOf(t.stack.config)).openDeep(byKind.step.input.address),
      ).toEqual(address);
      const saga = await t.h.sagaStatus(orderId);
      expect(saga.compensationsFailed).toEqual(['cancelShipment']);
      expect(saga.compensationsDone).toEqual(compensationsThrough('scheduleShipment').slice(1));
      // Payment and stock were undone.
      expect(await t.h.balance(accountId)).toBe(10_000);
      expect(await t.h.level(sku)).toMatchObject({ available: 2, reserved: 0 });
      // Temporal retried the step with backoff before giving up.
      const history = await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
      const failed = history.events!.find(
        (e) => e.activityTaskFailedEventAttributes && e.activityTaskFailedEventAttributes.retryState,
      );
      expect(failed).toBeDefined();
      // Once shipping is back, the parked compensation is redriven; the failed step is not (the
      // saga has already compensated it).
      await faults().clear('shipping');
      const compensation = byKind.compensation.id;
      expect(byKind.compensation.input).toEqual({ orderId, correlationId: expect.any(String) });
      expect((await api().POST('/dead-letters/{id}/redrive', deadLetter(compensation))).response.status).toBe(202);
      await waitFor(
        'the compensation redrive',
        async () => (await api().GET('/dead-letters/{id}', deadLetter(compensation))).data?.status === 'redriven',
      );
      // The shipment's state is the fold of its stream, as the Shipping service reads it.
      const shipment = await t.stack.mongo.db
        .collection('events')
        .find({ streamId: `shipment-${orderId}` })
        .sort({ version: 1 })
        .toArray();
      expect(
        shipment.reduce((state, e) => evolveShipment(state, e as unknown as ShipmentDecision), initialShipment()),
      ).toMatchObject({ status: 'cancelled' });
      // With nothing left open, the order is CANCELLED after all (the closed saga keeps its last status).
      expect(await t.h.orderView(orderId, 'CANCELLED')).toMatchObject({ openCompensations: [] });
      const step = await api().POST('/dead-letters/{id}/redrive', deadLetter(byKind.step.id));
      expect(step.response.status).toBe(409);
      expect(step.error?.error.code).toBe('not_redrivable');
    } finally {
      await faults().clear('shipping');
    }
  });

  it('retries a technical failure with backoff and completes when the service recovers', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 2, 700);
    await faults().inject('payment', { mode: 'error', failures: 3 });
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    expect(await t.h.balance(accountId)).toBe(9_300);
    const history = await t.stack.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
    // The payment step's started event records its attempt number: 3 failures, success on the 4th.
    expect(started.some((e) => e.activityTaskStartedEventAttributes!.attempt === 4)).toBe(true);
    expect((await api().GET('/dead-letters', { params: { query: { orderId } } })).data?.deadLetters).toEqual([]);
  });
});
