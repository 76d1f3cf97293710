import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { settleWorkflowId, settlementReason } from '../../../domain/orders/settlement';
import { settlementCollection, type SettlementDocument } from '../../../infra/settlements';
import { WORKFLOW_NAMES, type SettleOrderWorkflow } from '../../../workflows/client';
import { faultsOf, type FaultService } from '../../helpers/faults';
import { address, fastSaga, useSagaStack } from '../../helpers/saga';
import { apiOf } from '../../helpers/stack';
import { waitFor } from '../../helpers/wait-for';
import { startSettlementSweeper } from '../../../workers/settlement-sweeper';
import type { SagaStatus } from '../../../domain/orders';

/**
 * A saga that ends without an outcome (terminated from the CLI or the Web UI, timed out, failed)
 * runs no workflow code: the worker's sweep finds its order and the settle workflow undoes it.
 * Every order here ends settled, with the money and the stock where they were before it.
 */
describe('orders whose saga ended without an outcome are settled', () => {
  const t = useSagaStack({
    ...fastSaga,
    // Compensations that outlast a service outage for minutes, so a terminate can land during one.
    COMPENSATION_MAX_ATTEMPTS: 1_000,
    SETTLE_SWEEP_INTERVAL: 1_000,
    APPROVAL_THRESHOLD: 5_000,
    APPROVAL_TIMEOUT: 600_000,
    // The breakers' pauses are theirs to test; here a step held by a fault stays where it is.
    BREAKERS: 'off',
  });
  const faults = () => faultsOf(apiOf(t.stack));
  const saga = (orderId: string) => t.stack.client.workflow.getHandle(`order-${orderId}`);
  const ledger = () => settlementCollection(t.stack.mongo.db);
  /** Every attempt of the step does its effect and then hangs past its timeout: the saga stays in it. */
  const hold = (service: FaultService) => faults().inject(service, { mode: 'hang-after-effect', hangMs: 3_000 });

  // A test that fails while a service is held leaves no fault behind for the next one.
  afterEach(async () => {
    for (const service of ['payment', 'inventory', 'shipping'] as const) await faults().clear(service);
  });

  async function settled(orderId: string): Promise<SettlementDocument> {
    return waitFor(
      `order ${orderId} to be settled`,
      async () => {
        const doc = await ledger().findOne({ _id: orderId });
        return doc?.state === 'settled' ? doc : undefined;
      },
      90_000,
    );
  }

  async function money(accountId: string) {
    const types = (await t.h.accountEvents(accountId)).map((e) => e.type);
    return {
      balance: await t.h.balance(accountId),
      withdrawn: types.filter((x) => x === 'Withdrawn').length,
      deposited: types.filter((x) => x === 'Deposited').length,
    };
  }

  /** Places an order of `quantity` × 1,000 cents, holds its saga where `at` says, terminates it there. */
  async function terminated(options: {
    quantity?: number;
    price?: number;
    hold?: FaultService;
    at: (s: SagaStatus) => boolean;
    what: string;
  }) {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, options.price ?? 1_000);
    if (options.hold) await hold(options.hold);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: options.quantity ?? 2 }] });
    const status = await t.h.waitForSaga(orderId, options.at, options.what);
    await saga(orderId).terminate('an operator ended it');
    return { accountId, sku, orderId, status };
  }

  async function expectUndone(orderId: string, accountId: string, sku: string) {
    const doc = await settled(orderId);
    expect(doc).toMatchObject({ close: 'Terminated', outcome: 'settled', status: 'CANCELLED', policy: 'compensate' });
    expect(doc.settleWorkflowId).toBe(settleWorkflowId(orderId));
    // Money and stock are back where they were, and nothing moved twice.
    const after = await money(accountId);
    expect(after.balance).toBe(10_000);
    expect(after.withdrawn).toBe(after.deposited);
    expect(after.withdrawn).toBeLessThanOrEqual(1);
    expect(await t.h.level(sku)).toMatchObject({ available: 5, reserved: 0 });
    const events = await t.h.orderEvents(orderId);
    const cancelled = events.filter((e) => e.type === 'OrderCancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.data).toMatchObject({ reason: settlementReason('Terminated') });
    expect(events.some((e) => e.type === 'OrderCompleted')).toBe(false);
    return { doc, events };
  }

  it('settles an order whose saga was terminated after createOrder (waiting for approval)', async () => {
    const { orderId, accountId, sku } = await terminated({
      quantity: 3,
      price: 2_000,
      at: (s) => s.awaitingApproval === true,
      what: 'the saga to wait for approval',
    });
    const { events } = await expectUndone(orderId, accountId, sku);
    expect(events.map((e) => e.type)).not.toContain('Withdrawn');
  });

  it('refunds an order whose saga was terminated during processPayment after the charge', async () => {
    const { orderId, accountId, sku } = await terminated({
      hold: 'payment',
      at: (s) => s.currentStep === 'processPayment',
      what: 'the saga to be in processPayment',
    });
    await waitFor('the charge', async () => (await t.h.balance(accountId)) === 8_000);
    await faults().clear('payment');
    await expectUndone(orderId, accountId, sku);
    expect((await money(accountId)).withdrawn).toBe(1);
  });

  it('refunds and releases an order whose saga was terminated during reserveItems after the reservation', async () => {
    const { orderId, accountId, sku } = await terminated({
      hold: 'inventory',
      at: (s) => s.currentStep === 'reserveItems',
      what: 'the saga to be in reserveItems',
    });
    await waitFor('the reservation', async () => (await t.h.level(sku)).reserved === 2);
    await faults().clear('inventory');
    await expectUndone(orderId, accountId, sku);
  });

  it('cancels the shipment of an order whose saga was terminated during scheduleShipment after the booking', async () => {
    const { orderId, accountId, sku } = await terminated({
      hold: 'shipping',
      at: (s) => s.currentStep === 'scheduleShipment',
      what: 'the saga to be in scheduleShipment',
    });
    await waitFor('the booking', async () =>
      (await t.h.orderEvents(orderId)).some((e) => e.type === 'ShipmentScheduled'),
    );
    await faults().clear('shipping');
    const { events } = await expectUndone(orderId, accountId, sku);
    expect(events.map((e) => e.type)).toContain('ShipmentCancelled');
  });

  it('finishes the compensation of an order whose saga was terminated while it compensated', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 1_000);
    await hold('inventory');
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
    await t.h.waitForSaga(orderId, (s) => s.currentStep === 'reserveItems', 'the saga to be in reserveItems');
    // Cancelled while it reserves; its refund will be held by a payment outage (the charge is done).
    await faults().inject('payment', { mode: 'error' });
    const cancel = await apiOf(t.stack).POST('/orders/{orderId}/cancel', {
      params: { path: { orderId } },
      body: {},
    });
    expect(cancel.response.status).toBe(202);
    await faults().clear('inventory');
    await t.h.waitForSaga(
      orderId,
      (s) => s.status === 'COMPENSATING' && s.currentStep === 'refundPayment',
      'the saga to be held in refundPayment',
    );
    await saga(orderId).terminate('an operator ended it');
    expect(await t.h.balance(accountId)).toBe(8_000);
    await faults().clear('payment');
    const { doc } = await expectUndone(orderId, accountId, sku);
    expect(doc.foundStatus).toBe('COMPENSATING');
  });

  it('settles an order whose saga was terminated while it waited in NEEDS_ATTENTION', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 1_000);
    // The carrier refuses the destination: the saga waits for an operator's repair.
    const { orderId } = await t.h.placeOrder({
      accountId,
      items: [{ sku, quantity: 2 }],
      shippingAddress: { ...address, country: 'ZZ' },
    });
    await t.h.waitForSaga(orderId, (s) => s.status === 'NEEDS_ATTENTION', 'the saga to need attention');
    await saga(orderId).terminate('an operator ended it');
    const { doc } = await expectUndone(orderId, accountId, sku);
    expect(doc.foundStatus).not.toBeNull();
  });

  it('settles once more after the settle workflow itself is terminated, refunding once', async () => {
    const { orderId, accountId, sku } = await terminated({
      hold: 'inventory',
      at: (s) => s.currentStep === 'reserveItems',
      what: 'the saga to be in reserveItems',
    });
    await waitFor('the reservation', async () => (await t.h.level(sku)).reserved === 2);
    // The settlement's refund is held by a payment outage; the settlement is terminated there.
    await faults().inject('payment', { mode: 'error' });
    await faults().clear('inventory');
    const settle = t.stack.client.workflow.getHandle(settleWorkflowId(orderId));
    await waitFor(
      'the settlement to be retrying the refund',
      async () => {
        const description = await settle.describe().catch(() => undefined);
        const pending = description?.raw.pendingActivities ?? [];
        return pending.some((a) => a.activityType?.name === 'refundPayment' && (a.attempt ?? 0) > 1);
      },
      60_000,
    );
    await settle.terminate('an operator ended the settlement');
    expect((await ledger().findOne({ _id: orderId }))?.state).toBe('settling');
    await faults().clear('payment');
    await expectUndone(orderId, accountId, sku);
    expect((await money(accountId)).withdrawn).toBe(1);
  });

  it('is idempotent: a settlement started again finds the outcome and moves nothing', async () => {
    const { orderId, accountId, sku } = await terminated({
      hold: 'shipping',
      at: (s) => s.currentStep === 'scheduleShipment',
      what: 'the saga to be in scheduleShipment',
    });
    await faults().clear('shipping');
    await expectUndone(orderId, accountId, sku);
    // The sweep's settlement has undone everything; once it has ended, each new start is a new run.
    expect(await t.stack.client.workflow.getHandle(settleWorkflowId(orderId)).result()).toMatchObject({
      outcome: 'settled',
    });
    const eventsBefore = (await t.h.orderEvents(orderId)).length;
    const again = () =>
      t.stack.client.workflow.execute<SettleOrderWorkflow>(WORKFLOW_NAMES.settleOrder, {
        workflowId: settleWorkflowId(orderId),
        taskQueue: t.stack.config.TASK_QUEUE,
        args: [{ orderId, close: 'Terminated' }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    expect(await again()).toMatchObject({ outcome: 'had-outcome', status: 'CANCELLED' });
    expect(await again()).toMatchObject({ outcome: 'had-outcome', status: 'CANCELLED' });
    expect(await money(accountId)).toEqual({ balance: 10_000, withdrawn: 1, deposited: 1 });
    expect(await t.h.orderEvents(orderId)).toHaveLength(eventsBefore);
  });

  it('lists unsettled and settled orders in the API and counts them in /metrics', async () => {
    const { orderId, accountId, sku } = await terminated({
      quantity: 3,
      price: 2_000,
      at: (s) => s.awaitingApproval === true,
      what: 'the saga to wait for approval',
    });
    await expectUndone(orderId, accountId, sku);
    const api = apiOf(t.stack);
    const listed = await api.GET('/orders/unsettled', { params: { query: { state: 'settled' } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data?.orders).toContainEqual(
      expect.objectContaining({ orderId, close: 'Terminated', outcome: 'settled', foundStatus: 'AWAITING_APPROVAL' }),
    );
    const open = await api.GET('/orders/unsettled');
    expect(open.data?.orders.map((o) => o.orderId)).not.toContain(orderId);
    const metrics = await (await fetch(`${t.stack.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^unsettled_orders\{state="unsettled"\} \d+$/m);
    const settledCount = Number(/^orders_settled_total (\d+)$/m.exec(metrics)?.[1]);
    expect(settledCount).toBe(await ledger().countDocuments({ state: 'settled', outcome: 'settled' }));
    expect(settledCount).toBeGreaterThanOrEqual(1);
  });
});

/**
 * A reset (the Web UI's Reset, `temporal workflow reset`) runs the saga's steps again from an
 * earlier workflow task; each step is idempotent, so nothing is charged or reserved twice, and the
 * sweep does not take the run a reset closed for a saga that ended without an outcome.
 */
describe('a reset saga repeats its steps safely', () => {
  const t = useSagaStack({ ...fastSaga, SETTLE_SWEEP_INTERVAL: 1_000, APPROVAL_THRESHOLD: 5_000, BREAKERS: 'off' });
  const { EventType } = temporal.api.enums.v1;

  async function resetToFirstTask(workflowId: string): Promise<string> {
    const handle = t.stack.client.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    const firstTask = history.events!.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!;
    const { runId } = await t.stack.client.workflowService.resetWorkflowExecution({
      namespace: t.stack.config.TEMPORAL_NAMESPACE,
      workflowExecution: { workflowId, runId: (await handle.describe()).runId },
      reason: 'repeat the steps',
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: randomUUID(),
    });
    return runId;
  }

  it('charges and reserves once when a completed saga is reset to its first workflow task', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 1_000);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
    expect((await t.h.result(orderId)).status).toBe('COMPLETED');
    const runId = await resetToFirstTask(`order-${orderId}`);
    const rerun = t.stack.client.workflow.getHandle(`order-${orderId}`, runId);
    expect((await rerun.result()).status).toBe('COMPLETED');
    const history = await rerun.fetchHistory();
    const repeated = history.events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    expect(repeated.length).toBeGreaterThan(0);
    expect(await t.h.balance(accountId)).toBe(8_000);
    const types = (await t.h.accountEvents(accountId)).map((e) => e.type);
    expect(types.filter((x) => x === 'Withdrawn')).toHaveLength(1);
    expect(await t.h.level(sku)).toMatchObject({ available: 3 });
    const orderEvents = (await t.h.orderEvents(orderId)).map((e) => e.type);
    for (const once of ['OrderCreated', 'PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled', 'OrderCompleted'])
      expect(
        orderEvents.filter((x) => x === once),
        once,
      ).toHaveLength(1);
  });

  it('leaves a saga reset while it runs to its new run: the sweep settles nothing', async () => {
    const accountId = await t.h.openAccount(10_000);
    const sku = t.h.unique('SKU');
    await t.h.stock(sku, 5, 2_000);
    const { orderId } = await t.h.placeOrder({ accountId, items: [{ sku, quantity: 3 }] });
    await t.h.waitForSaga(orderId, (s) => s.awaitingApproval === true, 'the saga to wait for approval');
    const runId = await resetToFirstTask(`order-${orderId}`);
    const rerun = t.stack.client.workflow.getHandle(`order-${orderId}`, runId);
    await waitFor('the new run to wait for approval', async () => (await rerun.query('status')) !== undefined);
    // Once visibility lists the run the reset closed, a sweep passes over it: the saga's latest run goes on.
    const closedRuns = `WorkflowId = 'order-${orderId}' AND ExecutionStatus = 'Terminated'`;
    await waitFor('visibility to list the closed run', async () => {
      for await (const _ of t.stack.client.workflow.list({ query: closedRuns })) return true;
      return false;
    });
    const sweeper = startSettlementSweeper({
      connection: t.stack.nativeConnection,
      config: { ...t.stack.config, SETTLE_SWEEP_INTERVAL: 0 },
      db: t.stack.mongo.db,
      log: { info: () => {}, warn: () => {} },
    });
    expect(await sweeper.sweep()).not.toContain(orderId);
    expect(await settlementCollection(t.stack.mongo.db).findOne({ _id: orderId })).toBeNull();
    const approve = await apiOf(t.stack).POST('/orders/{orderId}/approve', { params: { path: { orderId } } });
    expect(approve.response.status).toBe(202);
    expect((await rerun.result()).status).toBe('COMPLETED');
    expect(await t.h.balance(accountId)).toBe(4_000);
    expect(await t.h.level(sku)).toMatchObject({ available: 2 });
  });
});
