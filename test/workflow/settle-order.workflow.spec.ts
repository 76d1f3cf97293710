import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderFacts, OrderStatus } from '../../domain/orders';
import {
  ORDER_COMPENSATION,
  SERVICE_COMPENSATIONS,
  settlementReason,
  type SettleOrderInput,
} from '../../domain/orders/settlement';
import type { StepPolicy } from '../../domain/orders';
import { provisionTimeSkippingServer } from '../../servers/temporal-test-server';
import { WORKFLOW_NAMES, type SettleOrderWorkflow } from '../../workflows/client';

const facts: OrderFacts = {
  customerId: 'sealed-customer',
  accountId: 'acc-1',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};
/** Four attempts an hour apart: the time-skipping server passes them in milliseconds. */
const policy: StepPolicy = {
  startToCloseTimeoutMs: 10_000,
  initialIntervalMs: 3_600_000,
  backoffCoefficient: 1,
  maximumIntervalMs: 3_600_000,
  maximumAttempts: 4,
};

/** What one settlement's activities were asked, in order, and how the doubles answer. */
interface Script {
  /** The order's status at each reading, the last one repeated. */
  statuses: (OrderStatus | null)[];
  recorded?: boolean;
  /** Compensations that fail with a technical error on every attempt. */
  failing?: string[];
  /** markCompensating refuses (OrderClosed). */
  closed?: boolean;
}

/**
 * The settle workflow's orchestration in Temporal's time-skipping server, with activity doubles:
 * which compensations it runs and in what order, what it records, and when it leaves an order alone.
 * Its effects on money and stock are the real stack's to show (test/int/saga/settle-order.int.spec.ts).
 */
describe('the settle workflow', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `settle-${randomUUID().slice(0, 8)}`;
  const scripts = new Map<string, Script>();
  const calls = new Map<string, Array<[string, unknown]>>();

  const call = (name: string) => async (args: { orderId: string }) => {
    const script = scripts.get(args.orderId)!;
    calls.get(args.orderId)!.push([name, args]);
    if (name === 'markCompensating' && script.closed)
      throw ApplicationFailure.create({ type: 'OrderClosed', message: 'completed', nonRetryable: true });
    if (script.failing?.includes(name)) throw new Error(`${name}: the service is down`);
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
    const compensations = [...SERVICE_COMPENSATIONS, ORDER_COMPENSATION, 'markCompensating'];
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: path.resolve(__dirname, '..', '..', 'workflows', 'index.ts'),
      activities: {
        ...Object.fromEntries(compensations.map((name) => [name, call(name)])),
        orderStanding: async ({ orderId }: { orderId: string }) => {
          const script = scripts.get(orderId)!;
          calls.get(orderId)!.push(['orderStanding', null]);
          const readings = calls.get(orderId)!.filter(([n]) => n === 'orderStanding').length;
          const status = script.statuses[Math.min(readings, script.statuses.length) - 1] ?? null;
          return { status, facts: status !== null && script.recorded !== false ? facts : null };
        },
        noteUnsettled: call('noteUnsettled'),
        recordSettlement: call('recordSettlement'),
        recordDeadLetter: async (letter: { orderId: string; step: string }) => {
          calls.get(letter.orderId)!.push(['recordDeadLetter', letter]);
          return `letter:${letter.step}`;
        },
      },
    });
    running = worker.run();
  }, 180_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  }, 60_000);

  async function settle(script: Script, input: Partial<SettleOrderInput> = {}) {
    const orderId = randomUUID();
    scripts.set(orderId, script);
    calls.set(orderId, []);
    const result = await env.client.workflow.execute<SettleOrderWorkflow>(WORKFLOW_NAMES.settleOrder, {
      workflowId: `settle-${orderId}`,
      taskQueue,
      args: [{ orderId, close: 'Terminated', compensationPolicy: policy, ...input }],
    });
    return { orderId, result, calls: calls.get(orderId)!, names: calls.get(orderId)!.map(([n]) => n) };
  }

  it('marks the order compensating, undoes every service newest first, then cancels it with the reason', async () => {
    const { result, calls: made, names } = await settle({ statuses: ['PENDING', 'CANCELLED'] });
    expect(names).toEqual([
      'orderStanding',
      'noteUnsettled',
      'markCompensating',
      ...SERVICE_COMPENSATIONS,
      ORDER_COMPENSATION,
      'orderStanding',
      'recordSettlement',
    ]);
    const reason = settlementReason('Terminated');
    expect(made.find(([n]) => n === 'markCompensating')![1]).toMatchObject({ reason, order: facts });
    expect(made.find(([n]) => n === ORDER_COMPENSATION)![1]).toMatchObject({ reason, openCompensations: [] });
    expect(result).toMatchObject({
      outcome: 'settled',
      status: 'CANCELLED',
      compensationsDone: [...SERVICE_COMPENSATIONS, ORDER_COMPENSATION],
      compensationsFailed: [],
    });
  });

  it('leaves an order that has its outcome alone', async () => {
    const { result, names } = await settle({ statuses: ['COMPLETED'] });
    expect(names).toEqual(['orderStanding', 'recordSettlement']);
    expect(result).toMatchObject({ outcome: 'had-outcome', status: 'COMPLETED' });
  });

  it('undoes nothing when the order completed after all (markCompensating refused)', async () => {
    const { result, names } = await settle({ statuses: ['PENDING', 'COMPLETED'], closed: true });
    expect(names).toEqual(['orderStanding', 'noteUnsettled', 'markCompensating', 'orderStanding', 'recordSettlement']);
    expect(result).toMatchObject({ outcome: 'had-outcome', status: 'COMPLETED' });
  });

  it("records an order the saga never recorded from the saga's facts, and touches nothing without them", async () => {
    const withFacts = await settle({ statuses: [null, 'CANCELLED'] }, { facts });
    expect(withFacts.calls.find(([n]) => n === 'markCompensating')![1]).toMatchObject({ order: facts });
    expect(withFacts.result.outcome).toBe('settled');
    const without = await settle({ statuses: [null] });
    expect(without.names).toEqual(['orderStanding', 'noteUnsettled', 'recordSettlement']);
    expect(without.result).toMatchObject({ outcome: 'nothing-recorded', status: null });
  });

  it('parks a compensation that exhausts its retries and cancels the order with it open', async () => {
    const refund = SERVICE_COMPENSATIONS[SERVICE_COMPENSATIONS.length - 1]!;
    const {
      result,
      calls: made,
      names,
    } = await settle({
      statuses: ['PENDING', 'COMPENSATION_INCOMPLETE'],
      failing: [refund],
    });
    expect(names.filter((n) => n === refund)).toHaveLength(policy.maximumAttempts);
    expect(made.find(([n]) => n === 'recordDeadLetter')![1]).toMatchObject({
      source: 'saga',
      kind: 'compensation',
      step: refund,
      attempts: policy.maximumAttempts,
    });
    expect(made.find(([n]) => n === ORDER_COMPENSATION)![1]).toMatchObject({ openCompensations: [refund] });
    expect(result).toMatchObject({
      outcome: 'settled',
      status: 'COMPENSATION_INCOMPLETE',
      compensationsFailed: [refund],
      openDeadLetters: [`letter:${refund}`],
    });
  });

  it('only records the order under the report policy', async () => {
    const { result, names } = await settle({ statuses: ['PENDING'] }, { policy: 'report' });
    expect(names).toEqual(['orderStanding', 'noteUnsettled']);
    expect(result).toMatchObject({ outcome: 'reported', status: 'PENDING' });
  });
});
