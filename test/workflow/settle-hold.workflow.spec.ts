import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIVITY_STEPS,
  DEFAULT_STEP_POLICIES,
  type OrderFacts,
  type OrderStatus,
  type SagaEventType,
  type SagaSettings,
  type StepPolicy,
} from '../../domain/orders';
import { ORDER_COMPENSATION, SERVICE_COMPENSATIONS, type SettleOrderResult } from '../../domain/orders/settlement';
import { provisionTimeSkippingServer } from '../../servers/temporal-test-server';
import { WORKFLOW_NAMES, type SettleOrderWorkflow } from '../../workflows/client';
import { cancelUpdate, repairUpdate } from '../../workflows/definitions';
import { waitFor } from '../helpers/wait-for';

const facts: OrderFacts = {
  customerId: 'sealed-customer',
  accountId: 'acc-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};
const corrected = { line1: '2 Elm St', city: 'Shelbyville', postalCode: '54321', country: 'US' };
/** Two attempts an hour apart: the time-skipping server passes them in milliseconds. */
const policy: StepPolicy = {
  startToCloseTimeoutMs: 10_000,
  initialIntervalMs: 3_600_000,
  backoffCoefficient: 1,
  maximumIntervalMs: 3_600_000,
  maximumAttempts: 2,
};
const REPAIR_WAIT_MS = 6 * 3_600_000;
const settings: SagaSettings = {
  approvalThreshold: 5_000,
  approvalTimeoutMs: 3_600_000,
  repairWaitMs: REPAIR_WAIT_MS,
  policies: Object.fromEntries(Object.keys(DEFAULT_STEP_POLICIES).map((s) => [s, policy])) as SagaSettings['policies'],
  compensationPolicy: policy,
};
/** The forward steps' activities after createOrder, and the correction's. */
const FORWARD = [...ACTIVITY_STEPS.slice(1), 'changeShippingAddress'];

/** How one order's doubles answer. */
interface Script {
  status: OrderStatus | null;
  /** What the services' streams hold when the settlement reads them. */
  seen: SagaEventType[];
  /** Forward steps that refuse with a business failure. */
  refusing?: string[];
}

/**
 * The `hold` policy's orchestration in Temporal's time-skipping server, with activity doubles:
 * what it records while it waits, which steps a retry runs, what a correction changes, and that a
 * wait of hours runs out. Its effects on money and stock are the real stack's to show
 * (test/int/saga/settle-hold.int.spec.ts).
 */
describe('the settle workflow under the hold policy', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `settle-hold-${randomUUID().slice(0, 8)}`;
  const scripts = new Map<string, Script>();
  const calls = new Map<string, Array<[string, unknown]>>();

  const call = (name: string) => async (args: { orderId: string }) => {
    calls.get(args.orderId)!.push([name, args]);
    if (scripts.get(args.orderId)!.refusing?.includes(name))
      throw ApplicationFailure.create({ type: 'OutOfStock', message: `${name} refused`, nonRetryable: true });
    return {};
  };

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Installed by another suite in this process.
    }
    const executable = await provisionTimeSkippingServer();
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: executable } },
    });
    const plain = [
      ...SERVICE_COMPENSATIONS,
      ORDER_COMPENSATION,
      'markCompensating',
      'markNeedsAttention',
      'noteUnsettled',
      'noteHeld',
      'recordSettlement',
      ...FORWARD,
    ];
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
      activities: {
        ...Object.fromEntries(plain.map((name) => [name, call(name)])),
        orderStanding: async ({ orderId }: { orderId: string }) => {
          calls.get(orderId)!.push(['orderStanding', null]);
          const { status } = scripts.get(orderId)!;
          const after = calls.get(orderId)!.some(([n]) => n === 'completeOrder')
            ? 'COMPLETED'
            : calls.get(orderId)!.some(([n]) => n === ORDER_COMPENSATION)
              ? 'CANCELLED'
              : status;
          return { status: after, facts: status === null ? null : facts };
        },
        orderProgress: async ({ orderId }: { orderId: string }) => {
          calls.get(orderId)!.push(['orderProgress', null]);
          return { total: 3_000, shippingAddress: facts.shippingAddress, seen: scripts.get(orderId)!.seen };
        },
        recordDeadLetter: async (letter: { orderId: string; step: string }) => `letter:${letter.step}`,
      },
    });
    running = worker.run();
  }, 180_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  }, 60_000);

  /** Starts a held settlement and waits until it waits for an operator. */
  async function held(script: Script) {
    const orderId = randomUUID();
    scripts.set(orderId, script);
    calls.set(orderId, []);
    const handle = await env.client.workflow.start<SettleOrderWorkflow>(WORKFLOW_NAMES.settleOrder, {
      workflowId: `settle-${orderId}`,
      taskQueue,
      args: [{ orderId, close: 'Terminated', policy: 'hold', compensationPolicy: policy, settings }],
    });
    const names = () => calls.get(orderId)!.map(([n]) => n);
    await waitFor(`settle-${orderId} to hold the order`, () => names().includes('noteHeld'), 30_000);
    return { orderId, handle, calls: calls.get(orderId)!, names };
  }

  const result = (handle: WorkflowHandle) => handle.result() as Promise<SettleOrderResult>;

  it('marks the order NEEDS_ATTENTION where its events stopped, and compensates once the repair wait runs out', async () => {
    const { handle, calls: made, names } = await held({ status: 'PENDING', seen: ['PaymentCompleted'] });
    expect(names()).toEqual(['orderStanding', 'noteUnsettled', 'orderProgress', 'markNeedsAttention', 'noteHeld']);
    expect(made.find(([n]) => n === 'markNeedsAttention')![1]).toMatchObject({ step: 'reserveItems' });
    const noted = made.find(([n]) => n === 'noteHeld')![1] as { since: string; until: string };
    expect(Date.parse(noted.until) - Date.parse(noted.since)).toBe(REPAIR_WAIT_MS);
    expect(await result(handle)).toMatchObject({ outcome: 'settled', status: 'CANCELLED', holdEnded: 'timed-out' });
    expect(made.find(([n]) => n === ORDER_COMPENSATION)![1]).toMatchObject({ reason: /not repaired within 6h/ });
    expect(names()).not.toContain('completeOrder');
  });

  it('on retry runs only the steps still to run, then completes the order', async () => {
    const { handle, names } = await held({ status: 'PENDING', seen: ['PaymentCompleted'] });
    const accepted = await handle.executeUpdate(repairUpdate, { args: [{ action: 'retry', by: 'key-1' }] });
    expect(accepted).toMatchObject({ accepted: 'repair', action: 'retry', status: 'NEEDS_ATTENTION' });
    expect(await result(handle)).toMatchObject({
      outcome: 'completed',
      status: 'COMPLETED',
      repair: { action: 'retry', by: 'key-1' },
    });
    // Payment is done: the reservation, the booking and the completion run.
    expect(names().slice(names().indexOf('noteHeld') + 1)).toEqual([
      ...ACTIVITY_STEPS.slice(2),
      'orderStanding',
      'recordSettlement',
    ]);
  });

  it('compensates instead when a remaining step refuses for a business reason', async () => {
    const { handle, names } = await held({ status: 'PENDING', seen: [], refusing: ['reserveItems'] });
    await handle.executeUpdate(repairUpdate, { args: [{ action: 'retry' }] });
    expect(await result(handle)).toMatchObject({ outcome: 'settled', status: 'CANCELLED' });
    expect(names()).toContain('processPayment');
    expect(names()).not.toContain('completeOrder');
    expect(names()).toContain('refundPayment');
  });

  it('corrects the address before the booking, and refuses a correction once the booking is done', async () => {
    const before = await held({ status: 'NEEDS_ATTENTION', seen: ['PaymentCompleted', 'ItemsReserved'] });
    await before.handle.executeUpdate(repairUpdate, { args: [{ action: 'correct', shippingAddress: corrected }] });
    expect(await result(before.handle)).toMatchObject({ outcome: 'completed', repair: { action: 'correct' } });
    expect(before.calls.find(([n]) => n === 'changeShippingAddress')![1]).toMatchObject({ address: corrected });
    expect(before.calls.find(([n]) => n === 'scheduleShipment')![1]).toMatchObject({ address: corrected });

    const after = await held({ status: 'PENDING', seen: ['PaymentCompleted', 'ItemsReserved', 'ShipmentScheduled'] });
    const refused = await after.handle
      .executeUpdate(repairUpdate, { args: [{ action: 'correct', shippingAddress: corrected }] })
      .catch((e: unknown) => e);
    expect(String((refused as Error).cause ?? refused)).toMatch(/cannot be corrected/);
    await after.handle.executeUpdate(repairUpdate, { args: [{ action: 'retry' }] });
    expect(await result(after.handle)).toMatchObject({ outcome: 'completed' });
    expect(after.names().slice(after.names().indexOf('noteHeld') + 1, -2)).toEqual(['completeOrder']);
  });

  it("compensates on a customer's cancel, and refuses a repair after it", async () => {
    const { handle } = await held({ status: 'PENDING', seen: ['PaymentCompleted', 'ItemsReserved'] });
    expect(await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] })).toMatchObject({
      accepted: 'cancel',
    });
    const refused = await handle.executeUpdate(repairUpdate, { args: [{ action: 'retry' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(await result(handle)).toMatchObject({ outcome: 'settled', status: 'CANCELLED', holdEnded: 'cancelled' });
  });

  it('compensates rather than holds an order whose approval never came', async () => {
    const orderId = randomUUID();
    scripts.set(orderId, { status: 'AWAITING_APPROVAL', seen: [] });
    calls.set(orderId, []);
    const settled = await env.client.workflow.execute<SettleOrderWorkflow>(WORKFLOW_NAMES.settleOrder, {
      workflowId: `settle-${orderId}`,
      taskQueue,
      args: [{ orderId, close: 'Terminated', policy: 'hold', compensationPolicy: policy, settings }],
    });
    expect(settled).toMatchObject({ outcome: 'settled', status: 'CANCELLED' });
    expect(calls.get(orderId)!.map(([n]) => n)).not.toContain('markNeedsAttention');
  });
});
