import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compensationsThrough } from '../../../domain/orders/steps';
import { calledActivity, compensatedPath, completedPath, type ShownHistoryEvent } from '../../helpers/saga-path';
import { apiOf, startStack, type Stack } from '../../helpers/stack';
import { faultsOf } from '../../helpers/faults';
import { fastSaga, sagaHelpers } from '../../helpers/saga';
import { temporal } from '../../helpers/temporal-cli';

interface ShownEvent extends ShownHistoryEvent {
  eventType: string;
  workflowExecutionSignaledEventAttributes?: { signalName: string };
}

// Operators drive sagas with Temporal's own CLI, not only through our API.
describe('operating sagas with the `temporal` CLI', () => {
  let stack: Stack;
  let h: ReturnType<typeof sagaHelpers>;
  beforeAll(async () => {
    // A long approval window: the saga must wait for the CLI's signal, not time out.
    stack = await startStack({ ...fastSaga, APPROVAL_THRESHOLD: 5_000, APPROVAL_TIMEOUT: 60_000 });
    h = sagaHelpers(stack);
  });
  afterAll(() => stack?.stop());

  const cli = (args: string[]) =>
    temporal(stack.config.TEMPORAL_ADDRESS!, [...args, '--namespace', stack.config.TEMPORAL_NAMESPACE]);
  async function show(workflowId: string): Promise<ShownEvent[]> {
    return JSON.parse(await cli(['workflow', 'show', '--workflow-id', workflowId, '--output', 'json'])).events;
  }
  const activitiesOf = (events: ShownEvent[]) => events.flatMap((e) => calledActivity(e) ?? []);
  // `temporal workflow show` prints enum names in either style depending on the CLI version.
  const isType = (e: ShownEvent, type: string) =>
    e.eventType
      .replace(/^EVENT_TYPE_/, '')
      .replace(/_/g, '')
      .toLowerCase() === type.toLowerCase();

  it('approves a saga awaiting approval with `temporal workflow signal` and shows the signal and the completed saga with `temporal workflow show`', async () => {
    const accountId = await h.openAccount(100_000);
    const sku = h.unique('SKU');
    await h.stock(sku, 5, 6_000);
    const { orderId, workflowId } = await h.placeOrder({ accountId, items: [{ sku, quantity: 1 }] });
    await h.waitForSaga(orderId, (s) => s.awaitingApproval, 'the saga to await approval');

    await cli([
      'workflow',
      'signal',
      '--workflow-id',
      workflowId,
      '--name',
      'approve',
      '--input',
      '{"by":"ops@example.com"}',
    ]);

    expect(await h.result(orderId)).toEqual({ orderId, status: 'COMPLETED', failureReason: null });
    expect(await h.balance(accountId)).toBe(94_000);
    const events = await show(workflowId);
    const signals = events.flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : [],
    );
    expect(signals).toEqual(['approve']);
    expect(activitiesOf(events)).toEqual(completedPath({ approved: true }));
    expect(isType(events.at(-1)!, 'WorkflowExecutionCompleted')).toBe(true);
    expect((await h.orderView(orderId, 'COMPLETED')).total).toBe(6_000);
  });

  it('cancels a running saga with `temporal workflow cancel`: it compensates, ends the order CANCELLED and `temporal workflow show` shows the compensations', async () => {
    const accountId = await h.openAccount(10_000);
    const sku = h.unique('SKU');
    await h.stock(sku, 3, 1_000);
    // Hold the saga inside the reservation (after its effect) so the cancel lands mid-saga.
    await faultsOf(apiOf(stack)).inject('inventory', { mode: 'hang-after-effect', hangMs: 1_500, failures: 1 });
    try {
      const { orderId, workflowId } = await h.placeOrder({ accountId, items: [{ sku, quantity: 2 }] });
      await h.waitForSaga(orderId, (s) => s.currentStep === 'reserveItems', 'the saga to reach reserveItems');

      await cli(['workflow', 'cancel', '--workflow-id', workflowId]);

      await expect(h.result(orderId)).rejects.toThrow(/cancel/i);
      expect(await h.sagaStatus(orderId)).toMatchObject({
        status: 'CANCELLED',
        failureReason: 'cancelled',
        compensationsDone: compensationsThrough('reserveItems'),
      });
      expect(await h.balance(accountId)).toBe(10_000);
      expect(await h.level(sku)).toMatchObject({ available: 3, reserved: 0 });
      expect((await h.orderView(orderId, 'CANCELLED')).failureReason).toBe('cancelled');

      const events = await show(workflowId);
      expect(events.some((e) => isType(e, 'WorkflowExecutionCancelRequested'))).toBe(true);
      expect(activitiesOf(events)).toEqual(compensatedPath('reserveItems'));
      expect(isType(events.at(-1)!, 'WorkflowExecutionCanceled')).toBe(true);
    } finally {
      await faultsOf(apiOf(stack)).clear('inventory');
    }
  });
});
