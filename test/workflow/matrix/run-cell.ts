import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { Db } from 'mongodb';
import { createAccountService } from '../../../domain/accounts';
import { createEventStore } from '../../../eventstore';
import { approveSignal, rejectSignal, statusQuery } from '../../../workflows/definitions';
import { CustomerIdKey, OrderIdKey, OrderStatusKey } from '../../../infra/search-attribute-keys';
import type { OrderSagaInput, OrderSagaResult, SagaSettings, SagaStatus } from '../../../domain/orders';
import { WORKFLOW_NAMES, type OrderSagaWorkflow } from '../../../workflows/client';
import { waitFor } from '../../helpers/wait-for';
import type { SagaEnv } from '../saga-env';
import { type Cell } from './cells';
import { sendCancel, type CellRun } from './faulty-activities';

export const OPENING_BALANCE = 100_000;
export const STOCK = 10;
export const QUANTITY = 2;
export const PRICE = 1_500;
const ADDRESS = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

/** Everything the invariants need to know about one cell's saga once it closed. */
export interface CellOutcome {
  run: CellRun;
  accountId: string;
  sku: string;
  /** The workflow's own answer: its result, or its final state when a raw cancel ended it. */
  end: OrderSagaResult['status'] | 'FAILED';
  settings: SagaSettings;
  endedByWorkflowCancel: boolean;
  saga: SagaStatus;
}

/** Runs one cell's saga to its end: fresh account and SKU, the fault armed, the approver played. */
export async function runCell(t: SagaEnv, cell: Cell, options: { legacy?: boolean } = {}): Promise<CellOutcome> {
  // Order ids are field names inside stock documents: no dots (the API mints UUIDs).
  const orderId = `${cell.id.replace(/\./g, '_')}-${randomUUID().slice(0, 8)}`;
  const workflowId = `order-${orderId}`;
  const store = createEventStore(t.db);
  const accounts = createAccountService({ store });
  const { accountId } = await accounts.openAccount({ owner: orderId, initialDeposit: OPENING_BALANCE });
  const sku = `SKU-${orderId}`;
  await t.db.collection('inventory').insertOne({
    _id: sku as never,
    available: STOCK,
    reserved: 0,
    price: PRICE,
    reservations: {},
    released: {},
    updatedAt: new Date(),
  });

  const run: CellRun = {
    cell,
    orderId,
    workflowId,
    outageAttempts: t.settings.compensationPolicy.maximumAttempts + 2,
    healed: false,
    triggerChannel: options.legacy ? 'workflow-cancel' : 'update',
  };
  t.runs.set(orderId, run);
  const input: OrderSagaInput = {
    orderId,
    customerId: `customer-${orderId}`,
    accountId,
    items: [{ sku, quantity: QUANTITY }],
    shippingAddress: ADDRESS,
    correlationId: randomUUID(),
    settings: { ...t.settings, approvalThreshold: cell.step === 'approval' ? 0 : t.settings.approvalThreshold },
  };
  const handle = await t.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
    taskQueue: t.taskQueue,
    workflowId,
    args: [input],
    typedSearchAttributes: [
      { key: OrderIdKey, value: orderId },
      { key: CustomerIdKey, value: input.customerId },
      { key: OrderStatusKey, value: 'PENDING' },
    ],
  });

  if (cell.step === 'createOrder' && cell.fault === 'cancel-before')
    run.cancelling = sendCancel(run, t.client, cell.channel!);
  if (cell.step === 'approval') await playApprover(t, run, cell);

  if (cell.fault === 'cancel-in-backoff') {
    // Nobody awaits the result until the cancel is in: a time-skipping server would otherwise
    // skip the backoff, and the retry would beat the cancel.
    await waitFor(`${workflowId}'s first ${cell.step} attempt to fail`, async () => run.cancelling !== undefined);
    await run.cancelling;
  }
  let end: CellOutcome['end'];
  let endedByWorkflowCancel = false;
  try {
    end = (await handle.result()).status;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    endedByWorkflowCancel = err.cause instanceof CancelledFailure;
    end = endedByWorkflowCancel ? ((await handle.query(statusQuery)).status as OrderSagaResult['status']) : 'FAILED';
    if (process.env.MATRIX_DEBUG && end === 'FAILED') console.log('workflow failed:', err.cause);
  }
  await run.cancelling;
  const saga = await handle.query(statusQuery);
  await run.addressOutcomes;
  run.healed = true;
  return { run, accountId, sku, end, endedByWorkflowCancel, saga, settings: t.settings };
}

/** The operator: approves, rejects, cancels while the saga waits, or lets the 24 h window pass. */
async function playApprover(t: SagaEnv, run: CellRun, cell: Cell): Promise<void> {
  const handle = t.client.workflow.getHandle(run.workflowId);
  await waitFor(`${run.workflowId} to await approval`, async () => (await handle.query(statusQuery)).awaitingApproval);
  if (cell.fault === 'approval-timeout') return;
  if (cell.fault === 'business') return handle.signal(rejectSignal, { by: 'matrix', reason: 'matrix rejection' });
  if (cell.fault === 'cancel-before') return sendCancel(run, t.client, cell.channel!);
  return handle.signal(approveSignal, { by: 'matrix' });
}

/**
 * Redrives every compensation the saga parked, once the outage that parked it is over, through
 * the same workflow an operator's POST /dead-letters/:id/redrive starts.
 */
export async function redriveParkedCompensations(t: SagaEnv, orderId: string): Promise<string[]> {
  const letters = await t.db
    .collection('dead_letters')
    .find({ orderId, kind: 'compensation', status: 'open' })
    .toArray();
  const outcomes: string[] = [];
  for (const letter of letters) {
    outcomes.push(
      await t.client.workflow.execute(WORKFLOW_NAMES.redriveCompensation, {
        taskQueue: t.taskQueue,
        workflowId: `redrive-${String(letter._id).replace(/[^\w-]/g, '_')}`,
        args: [String(letter._id), letter.step, letter.input, t.settings.compensationPolicy],
      }),
    );
  }
  return outcomes;
}

export { type Db };
