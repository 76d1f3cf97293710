import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities';
import { workerActivities } from '../../composition';
import { createAccountService } from '../../domain/accounts';
import { REPAIRABLE_STEPS, type OrderSagaInput, type RepairRequest } from '../../domain/orders';
import { OrderStatusKey } from '../../infra/search-attribute-keys';
import { WORKFLOW_NAMES, type OrderSagaWorkflow } from '../../workflows/client';
import { cancelUpdate, repairUpdate, statusQuery } from '../../workflows/definitions';
import { stockDocument } from '../helpers/stock-document';
import { useTimeSkippingWorker } from '../helpers/time-skipping-worker';
import { waitFor } from '../helpers/wait-for';
import { MATRIX_SETTINGS } from './saga-env';

const BALANCE = 100_000;
const PRICE = 1_500;
const QUANTITY = 2;
const REPAIR_WAIT_MS = 6 * 3_600_000;
const ADDRESS = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const CORRECTED = { line1: '2 Elm St', city: 'Shelbyville', postalCode: '54321', country: 'US' };

/** How each cell's operator (or customer) answers the saga that waits in NEEDS_ATTENTION. */
const ACTIONS = ['retry', 'correct', 'compensate', 'timeout', 'cancel'] as const;
type Action = (typeof ACTIONS)[number];
/** What the promise says each cell ends as. */
const EXPECTED: Record<Action, 'COMPLETED' | 'CANCELLED'> = {
  retry: 'COMPLETED',
  correct: 'COMPLETED',
  compensate: 'CANCELLED',
  timeout: 'CANCELLED',
  cancel: 'CANCELLED',
};

/**
 * The repair of a saga stuck at a repairable step, in Temporal's time-skipping server with the
 * real activities on the real MongoDB server. The carrier is played by scheduleShipment: it refuses
 * the order's address (UndeliverableAddress) while the cell says so, as a carrier whose
 * configuration an operator gets fixed; a corrected address is then accepted by the real rules.
 */
describe('a stuck saga is repaired in one audited step (NEEDS_ATTENTION, time-skipping)', () => {
  /** Orders whose carrier refuses the address they were placed with. */
  const refusing = new Set<string>();
  const settings = { ...MATRIX_SETTINGS, repairWaitMs: REPAIR_WAIT_MS };

  const t = useTimeSkippingWorker('repair', (db) => {
    const real = workerActivities({ db });
    const activities: Activities = {
      ...real,
      scheduleShipment: async (args) => {
        if (refusing.has(args.orderId) && args.address.postalCode === ADDRESS.postalCode)
          throw ApplicationFailure.nonRetryable(
            `undeliverable address (${args.address.country}): the carrier refuses it`,
            'UndeliverableAddress',
          );
        return real.scheduleShipment(args);
      },
    };
    return { activities };
  });

  async function startSaga(cell: string, refuse = true) {
    const orderId = `${cell}-${randomUUID().slice(0, 8)}`;
    const accounts = createAccountService({ store: t.store });
    const { accountId } = await accounts.openAccount({ owner: orderId, initialDeposit: BALANCE });
    const sku = `SKU-${orderId}`;
    await stockDocument(t.db, sku, 10, PRICE);
    if (refuse) refusing.add(orderId);
    const input: OrderSagaInput = {
      orderId,
      customerId: `customer-${orderId}`,
      accountId,
      items: [{ sku, quantity: QUANTITY }],
      shippingAddress: ADDRESS,
      correlationId: randomUUID(),
      settings,
    };
    const handle = await t.env.client.workflow.start<OrderSagaWorkflow>(WORKFLOW_NAMES.orderSaga, {
      taskQueue: t.taskQueue,
      workflowId: `order-${orderId}`,
      args: [input],
      typedSearchAttributes: [{ key: OrderStatusKey, value: 'PENDING' }],
    });
    const balance = async () => (await accounts.getAccount(accountId))?.balance;
    return { orderId, handle, balance };
  }

  /** Every event of the order, by type, across its streams. */
  async function eventCounts(orderId: string): Promise<Record<string, number>> {
    const events = await t.db.collection('events').find({ 'data.orderId': orderId }).toArray();
    const counts: Record<string, number> = {};
    for (const e of events) counts[e.type as string] = (counts[e.type as string] ?? 0) + 1;
    return counts;
  }

  for (const step of REPAIRABLE_STEPS) {
    it.each(ACTIONS)(
      `${step} refused: the saga waits in NEEDS_ATTENTION, and after %s the promise holds`,
      { timeout: 90_000 },
      async (action) => {
        const { orderId, handle, balance } = await startSaga(action);
        const waiting = await waitFor(
          `${orderId} to wait in NEEDS_ATTENTION`,
          async () => {
            const s = await handle.query(statusQuery);
            return s.status === 'NEEDS_ATTENTION' ? s : undefined;
          },
          30_000,
        );
        expect(waiting.needsAttention).toMatchObject({ step, reason: expect.stringContaining('carrier refuses') });
        expect(Date.parse(waiting.needsAttention!.until) - Date.parse(waiting.needsAttention!.since)).toBe(
          REPAIR_WAIT_MS,
        );
        // Nothing was undone while it waits: the money and the stock stay held for the order.
        expect(waiting.compensationsDone).toEqual([]);
        expect(await balance()).toBe(BALANCE - QUANTITY * PRICE);
        // The order's own record of the wait, for the read model.
        await waitFor(
          'OrderNeedsAttention on the order stream',
          async () => (await eventCounts(orderId)).OrderNeedsAttention,
        );
        const description = await handle.describe();
        expect(description.typedSearchAttributes.get(OrderStatusKey)).toBe('NEEDS_ATTENTION');
        // The Web UI's current details of the saga (the SDK's built-in metadata query) say what to do.
        const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        expect(metadata.currentDetails).toContain('**Status** NEEDS_ATTENTION');
        expect(metadata.currentDetails).toContain(`**Needs attention** ${step} failed`);
        expect(metadata.currentDetails).toContain(waiting.needsAttention!.until);

        if (action === 'retry') {
          refusing.delete(orderId);
          await handle.executeUpdate(repairUpdate, { args: [{ action: 'retry', by: 'key-operator' }] });
        } else if (action === 'correct') {
          const accepted = await handle.executeUpdate(repairUpdate, {
            args: [{ action: 'correct', shippingAddress: CORRECTED, by: 'key-operator' }],
          });
          expect(accepted).toEqual({ orderId, accepted: 'repair', action: 'correct', status: 'NEEDS_ATTENTION' });
        } else if (action === 'compensate') {
          await handle.executeUpdate(repairUpdate, {
            args: [{ action: 'compensate', reason: 'customer unreachable', by: 'key-operator' }],
          });
        } else if (action === 'cancel') {
          const accepted = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] });
          expect(accepted.accepted).toBe('cancel');
        }
        // `timeout`: nobody answers; awaiting the result lets the server skip the wait limit.

        const result = await handle.result();
        expect(result.status).toBe(EXPECTED[action]);
        const saga = await handle.query(statusQuery);
        expect(saga.needsAttention).toBeNull();
        const counts = await eventCounts(orderId);
        // Money and stock moved once, and either stayed moved (completed) or were undone (compensated).
        expect(counts.PaymentCompleted).toBe(1);
        expect(counts.ItemsReserved).toBe(1);
        if (EXPECTED[action] === 'COMPLETED') {
          expect(await balance()).toBe(BALANCE - QUANTITY * PRICE);
          expect(counts.ShipmentScheduled).toBe(1);
          expect(counts.OrderCompleted).toBe(1);
          expect(counts.PaymentRefunded ?? 0).toBe(0);
          expect(counts.ItemsReleased ?? 0).toBe(0);
          expect(counts.OrderCancelled ?? 0).toBe(0);
          expect(saga.compensationsDone).toEqual([]);
        } else {
          expect(await balance()).toBe(BALANCE);
          expect(counts.ShipmentScheduled ?? 0).toBe(0);
          expect(counts.OrderCompleted ?? 0).toBe(0);
          expect(counts.PaymentRefunded).toBe(1);
          expect(counts.ItemsReleased).toBe(1);
          expect(counts.OrderCancelled).toBe(1);
        }
        if (action === 'correct') {
          const shipment = await t.db
            .collection('events')
            .findOne({ type: 'ShipmentScheduled', 'data.orderId': orderId });
          expect(shipment?.data.address).toMatchObject({ postalCode: CORRECTED.postalCode });
          expect(counts.ShippingAddressChanged).toBe(1);
        }
        if (action === 'compensate') expect(result.failureReason).toContain('customer unreachable');
        if (action === 'timeout') expect(result.failureReason).toMatch(/^not repaired within 6h: /);
        if (action === 'cancel') expect(result.failureReason).toContain('changed my mind');
      },
    );
  }

  it(
    'a retry the carrier refuses again waits again; the validator refuses a repair of a saga not waiting',
    { timeout: 90_000 },
    async () => {
      const { orderId, handle } = await startSaga('again');
      const waitingSince = async () =>
        waitFor(`${orderId} to wait`, async () => (await handle.query(statusQuery)).needsAttention?.since, 30_000);
      const first = await waitingSince();
      await handle.executeUpdate(repairUpdate, { args: [{ action: 'retry' }] });
      await waitFor('a second wait', async () => {
        const since = (await handle.query(statusQuery)).needsAttention?.since;
        return since !== undefined && since !== first;
      });
      // A malformed repair is refused at the door, and nothing moves.
      const refused = (request: unknown) =>
        handle.executeUpdate(repairUpdate, { args: [request as RepairRequest] }).then(
          () => 'accepted',
          (err: unknown) => (err instanceof WorkflowUpdateFailedError ? String(err.cause?.message) : 'other'),
        );
      expect(await refused({ action: 'correct', shippingAddress: { country: 'nowhere' } })).toMatch(
        /Invalid repair request/,
      );
      await handle.executeUpdate(repairUpdate, { args: [{ action: 'compensate', reason: 'no carrier' }] });
      expect((await handle.result()).status).toBe('CANCELLED');
      expect(await refused({ action: 'retry' })).not.toBe('accepted');
      expect((await eventCounts(orderId)).OrderNeedsAttention).toBe(2);
    },
  );

  it('a repair sent to a saga that does not wait is refused with a clear message', { timeout: 60_000 }, async () => {
    const { handle } = await startSaga('refused', false);
    const err = await handle.executeUpdate(repairUpdate, { args: [{ action: 'retry' }] }).catch((e: unknown) => e);
    // Either the saga is still running (not waiting) or it already completed; it is never accepted.
    expect(err).toBeInstanceOf(Error);
    if (err instanceof WorkflowUpdateFailedError)
      expect(String(err.cause?.message)).toMatch(/is not waiting for a repair/);
    expect((await handle.result()).status).toBe('COMPLETED');
  });
});
