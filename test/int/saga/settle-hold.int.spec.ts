import { afterEach, describe, expect, it } from 'vitest';
import type { SagaStatus } from '../../../domain/orders';
import { settleWorkflowId } from '../../../domain/orders/settlement';
import { settlementCollection, type SettlementDocument } from '../../../infra/settlements';
import { faultsOf } from '../../helpers/faults';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { apiOf } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';

const BALANCE = 10_000;
const PRICE = 1_000;
const QUANTITY = 2;
const STOCK = 5;
/** Long enough for a test to repair a held order, short enough for one to see the wait run out. */
const REPAIR_WAIT_MS = 20_000;
/** A postal code the carrier does not know: scheduleShipment refuses it (UndeliverableAddress). */
const REFUSED = { ...address, postalCode: '00000' };
/** The services whose forward step a test holds, with the event its effect records. */
const EFFECTS = { payment: 'PaymentCompleted', inventory: 'ItemsReserved', shipping: 'ShipmentScheduled' } as const;
type StepService = keyof typeof EFFECTS;
const CORRECTED = { line1: '2 Elm St', city: 'Shelbyville', postalCode: '54321', country: 'US' };

type RepairBody =
  | { action: 'retry' }
  | { action: 'correct'; shippingAddress: typeof CORRECTED }
  | { action: 'compensate'; reason: string };

/**
 * SETTLE_POLICY=hold on the real stack: an order whose saga was terminated mid-way waits in
 * NEEDS_ATTENTION in its settlement (`settle-<orderId>`), and an operator's repair, sent to the same
 * route as a live saga's, finishes it forward or compensates it. Every cell ends settled, with
 * money and stock moved exactly once or not at all.
 */
describe('holding an order whose saga ended without an outcome for an operator', { timeout: 180_000 }, () => {
  const t = useSagaStack({
    ...fastSaga,
    COMPENSATION_MAX_ATTEMPTS: 1_000,
    SETTLE_SWEEP_INTERVAL: 1_000,
    SETTLE_POLICY: 'hold',
    REPAIR_WAIT_TIMEOUT: REPAIR_WAIT_MS,
    // The breakers' pauses are theirs to test; here a step held by a fault stays where it is.
    BREAKERS: 'off',
  });
  const api = () => apiOf(t.stack);
  const faults = () => faultsOf(api());
  const ledger = () => settlementCollection(t.stack.mongo.db);
  const repair = (orderId: string, body: RepairBody) =>
    api().POST('/orders/{orderId}/repair', { params: { path: { orderId } }, body });

  afterEach(async () => {
    for (const service of ['payment', 'inventory', 'shipping'] as const) await faults().clear(service);
  });

  const inLedger = (orderId: string, what: string, state: SettlementDocument['state']) =>
    waitFor(
      what,
      async () => {
        const doc = await ledger().findOne({ _id: orderId });
        return doc?.state === state ? doc : undefined;
      },
      90_000,
    );

  /** Places an order, holds its saga in a step whose effect is done, terminates it there, and waits until it is held. */
  async function heldOrder(options: { hold?: StepService; at?: (s: SagaStatus) => boolean; refused?: boolean }) {
    const accountId = await t.h.openAccount(BALANCE);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, STOCK, PRICE);
    if (options.hold) await faults().inject(options.hold, { mode: 'hang-after-effect', hangMs: 3_000 });
    const { orderId } = await t.h.placeOrder({
      accountId,
      items: [{ sku, quantity: QUANTITY }],
      ...(options.refused && { shippingAddress: REFUSED }),
    });
    await t.h.waitForSaga(orderId, options.at ?? (() => true), 'the saga to reach the step it is terminated in');
    await t.stack.client.workflow.getHandle(`order-${orderId}`).terminate('an operator ended it');
    // The step's attempt in flight has done its effect (and hangs): the order stopped after it.
    if (options.hold) await waitFor(`the ${options.hold} step's effect`, () => effectOf(orderId, options.hold!));
    if (options.hold) await faults().clear(options.hold);
    const doc = await inLedger(orderId, `order ${orderId} to be held`, 'held');
    return { orderId, accountId, sku, doc };
  }

  async function effectOf(orderId: string, service: StepService): Promise<boolean> {
    return (await t.h.orderEvents(orderId)).some((e) => e.type === EFFECTS[service]);
  }

  async function counts(orderId: string) {
    const types = (await t.h.orderEvents(orderId)).map((e) => e.type);
    return (type: string) => types.filter((x) => x === type).length;
  }

  async function expectCompleted({ orderId, accountId, sku }: { orderId: string; accountId: string; sku: string }) {
    const doc = await inLedger(orderId, `order ${orderId} to be settled`, 'settled');
    expect(doc).toMatchObject({ outcome: 'completed', status: 'COMPLETED', policy: 'hold' });
    expect(await t.h.balance(accountId)).toBe(BALANCE - QUANTITY * PRICE);
    expect(await t.h.level(sku)).toMatchObject({ available: STOCK - QUANTITY });
    const count = await counts(orderId);
    for (const once of ['PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled', 'OrderCompleted'])
      expect(count(once), once).toBe(1);
    for (const never of ['PaymentRefunded', 'ItemsReleased', 'ShipmentCancelled', 'OrderCancelled'])
      expect(count(never), never).toBe(0);
    const types = (await t.h.accountEvents(accountId)).map((e) => e.type);
    expect(types.filter((x) => x === 'Withdrawn')).toHaveLength(1);
    return doc;
  }

  async function expectUndone({ orderId, accountId, sku }: { orderId: string; accountId: string; sku: string }) {
    const doc = await inLedger(orderId, `order ${orderId} to be settled`, 'settled');
    expect(doc).toMatchObject({ outcome: 'settled', status: 'CANCELLED', policy: 'hold' });
    expect(await t.h.balance(accountId)).toBe(BALANCE);
    expect(await t.h.level(sku)).toMatchObject({ available: STOCK, reserved: 0 });
    const count = await counts(orderId);
    expect(count('OrderCancelled')).toBe(1);
    expect(count('OrderCompleted')).toBe(0);
    expect(count('PaymentCompleted')).toBeLessThanOrEqual(1);
    expect(count('PaymentRefunded')).toBe(count('PaymentCompleted'));
    const types = (await t.h.accountEvents(accountId)).map((e) => e.type);
    expect(types.filter((x) => x === 'Withdrawn').length).toBe(types.filter((x) => x === 'Deposited').length);
    return doc;
  }

  const atPayment = { hold: 'payment' as const, at: (s: SagaStatus) => s.currentStep === 'processPayment' };
  const atReservation = { hold: 'inventory' as const, at: (s: SagaStatus) => s.currentStep === 'reserveItems' };
  const atShipment = { hold: 'shipping' as const, at: (s: SagaStatus) => s.currentStep === 'scheduleShipment' };

  it('holds an order terminated during processPayment in NEEDS_ATTENTION, lists it, and compensates it on repair', async () => {
    const order = await heldOrder(atPayment);
    const { orderId } = order;
    expect(order.doc).toMatchObject({
      status: 'NEEDS_ATTENTION',
      settleWorkflowId: settleWorkflowId(orderId),
      needsAttention: { step: 'reserveItems' },
    });
    // The order's own stream and read model say so too, and the API lists it among the open ones.
    await t.h.orderView(orderId, 'NEEDS_ATTENTION');
    const open = await api().GET('/orders/unsettled');
    expect(open.response.status).toBe(200);
    expect(open.data?.orders).toContainEqual(
      expect.objectContaining({ orderId, state: 'held', policy: 'hold', status: 'NEEDS_ATTENTION' }),
    );
    const metrics = await (await fetch(`${t.stack.baseUrl}/metrics`)).text();
    expect(Number(/^unsettled_orders\{state="held"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(await t.h.balance(order.accountId)).toBe(BALANCE - QUANTITY * PRICE);

    const res = await repair(orderId, { action: 'compensate', reason: 'the customer gave up' });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    expect(res.data).toMatchObject({ orderId, accepted: 'repair', action: 'compensate' });
    const doc = await expectUndone(order);
    expect(doc.repair).toMatchObject({ action: 'compensate' });
    // Once settled, nothing waits for a repair any more.
    expect((await repair(orderId, { action: 'retry' })).response.status).toBe(409);
  });

  it('finishes forward an order terminated during processPayment on retry, charging once', async () => {
    const order = await heldOrder(atPayment);
    expect((await repair(order.orderId, { action: 'retry' })).response.status).toBe(202);
    const doc = await expectCompleted(order);
    expect(doc.repair).toMatchObject({ action: 'retry' });
  });

  it('compensates an order terminated during reserveItems on repair, releasing its stock', async () => {
    const order = await heldOrder(atReservation);
    expect(order.doc.needsAttention).toMatchObject({ step: 'scheduleShipment' });
    expect((await repair(order.orderId, { action: 'compensate', reason: 'out of time' })).response.status).toBe(202);
    await expectUndone(order);
  });

  it('finishes forward an order terminated during reserveItems on retry, reserving once', async () => {
    const order = await heldOrder(atReservation);
    expect((await repair(order.orderId, { action: 'retry' })).response.status).toBe(202);
    await expectCompleted(order);
  });

  it('compensates an order terminated during scheduleShipment on repair, cancelling its booking', async () => {
    const order = await heldOrder(atShipment);
    expect((await repair(order.orderId, { action: 'compensate', reason: 'wrong parcel' })).response.status).toBe(202);
    await expectUndone(order);
    expect((await counts(order.orderId))('ShipmentCancelled')).toBe(1);
  });

  it('completes an order terminated during scheduleShipment after its booking on retry; its address can no longer be corrected', async () => {
    const order = await heldOrder(atShipment);
    expect(order.doc.needsAttention).toMatchObject({ step: 'completeOrder' });
    const refused = await repair(order.orderId, { action: 'correct', shippingAddress: CORRECTED });
    expect(refused.response.status).toBe(409);
    expect(JSON.stringify(refused.error)).toMatch(/cannot be corrected/);
    expect((await repair(order.orderId, { action: 'retry' })).response.status).toBe(202);
    await expectCompleted(order);
  });

  it('ships to a corrected address an order whose saga was terminated while the carrier refused it', async () => {
    const order = await heldOrder({ refused: true, at: (s) => s.status === 'NEEDS_ATTENTION' });
    expect(order.doc.needsAttention).toMatchObject({ step: 'scheduleShipment' });
    const res = await repair(order.orderId, { action: 'correct', shippingAddress: CORRECTED });
    expect(res.response.status, JSON.stringify(res.error)).toBe(202);
    await expectCompleted(order);
    const view = await t.h.orderView(order.orderId, 'COMPLETED');
    expect(view.shippingAddress).toMatchObject({ postalCode: CORRECTED.postalCode });
  });

  it('compensates a held order whose customer cancels, and refuses a repair after the cancel', async () => {
    const order = await heldOrder(atReservation);
    const cancel = await api().POST('/orders/{orderId}/cancel', {
      params: { path: { orderId: order.orderId } },
      body: {},
    });
    expect(cancel.response.status, JSON.stringify(cancel.error)).toBe(202);
    expect(cancel.data).toMatchObject({ orderId: order.orderId, accepted: 'cancel' });
    expect((await repair(order.orderId, { action: 'retry' })).response.status).toBe(409);
    const doc = await expectUndone(order);
    expect(doc.holdEnded).toBe('cancelled');
  });

  it('compensates a held order nobody repairs once the repair wait runs out', async () => {
    const order = await heldOrder(atPayment);
    const doc = await expectUndone(order);
    expect(doc.holdEnded).toBe('timed-out');
    expect(doc.settledAt!.getTime() - order.doc.needsAttention!.since.getTime()).toBeGreaterThanOrEqual(
      REPAIR_WAIT_MS - 1_000,
    );
  });
});
