import { describe, expect, it } from 'vitest';
import { DeterminismViolationError } from '@temporalio/workflow';
import { SAGA_STEPS } from '../../domain/orders/steps';
import { alteredWorkflows, describeEvent, loadFixtures, replayFixtures } from './replay-histories';

/** These histories predate the point of no return, so they replay the frozen first version. */
const LEGACY_SAGA = 'legacy/order-saga-v1.ts';

const paymentStep = `    compensations.unshift({ step: 'refundPayment', service: 'payment', args: () => ({ ...ctx, accountId: input.accountId }), run: paymentUndo.refundPayment });
    await step('processPayment', () => payment.processPayment({ ...ctx, accountId: input.accountId, amount: created.total }));
    setStatus('PAYMENT_COMPLETED');
`;
const reservationStep = `    compensations.unshift({ step: 'releaseItems', service: 'inventory', args: () => ({ ...ctx, items: input.items }), run: inventoryUndo.releaseItems });
    await step('reserveItems', () => inventory.reserveItems({ ...ctx, items: input.items }));
    setStatus('ITEMS_RESERVED');
`;

/** The kind of edit that looks harmless and breaks every running saga: reserve before charging. */
const swapPaymentAndReservation = (source: string) =>
  source.includes(paymentStep) && source.includes(reservationStep)
    ? source
        .replace(paymentStep, '<payment>')
        .replace(reservationStep, paymentStep)
        .replace('<payment>', reservationStep)
    : source;

describe('the replay test catches a non-deterministic workflow change', () => {
  it('fails with a DeterminismViolationError naming the history file and its first diverging event when two activity calls are swapped', async () => {
    const fixture = loadFixtures().find((f) => f.file.endsWith('/happy-path.json'))!;
    const altered = alteredWorkflows('swapped-steps', swapPaymentAndReservation, LEGACY_SAGA);

    const failures = await replayFixtures([fixture], altered);

    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure!.error).toBeInstanceOf(DeterminismViolationError);
    // The history scheduled processPayment where the altered code now schedules reserveItems.
    const expected = fixture.history.events!.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'processPayment',
    )!;
    expect(failure!.divergingEvent).toEqual({
      eventId: Number(expected.eventId),
      description: describeEvent(expected),
    });
    expect(failure!.message).toContain('test/fixtures/histories/happy-path.json does not replay deterministically');
    expect(failure!.message).toContain(
      `The first diverging event is ${String(expected.eventId)} (ActivityTaskScheduled 'processPayment')`,
    );
    const [payment, reservation] = ['payment', 'inventory'].map(
      (service) => SAGA_STEPS.find((s) => s.service === service)!.step,
    );
    expect(failure!.message).toMatch(new RegExp(`Replayer: .*Nondeterminism error: .*'${payment}'.*'${reservation}'`));
  });
});
