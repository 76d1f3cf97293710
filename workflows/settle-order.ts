import type { OrderFacts } from '../domain/orders/saga';
import {
  awaitsOutcome,
  holdable,
  settlementReason,
  type SettleOrderInput,
  type SettleOrderResult,
} from '../domain/orders/settlement';
import { compensateOrder } from './settle/compensate';
import { nothing, settlement } from './settle/context';
import { holdForRepair } from './settle/hold';

/**
 * Settles an order whose saga ended without an outcome (terminated from the CLI or the Web UI,
 * timed out, failed): Temporal runs no workflow code on terminate, so the saga could not undo what
 * it had done. Workflow id `settle-<orderId>`, started by the worker's sweeper.
 *
 * 1. Reads where the order stands on its stream. One with an outcome is left as it is.
 * 2. Records it as unsettled; under `report` that is all.
 * 3. Under `hold`, an order the status table lets into NEEDS_ATTENTION waits there for an
 *    operator's repair (./settle/hold.ts): finished forward, or compensated.
 * 4. Otherwise compensates it (./settle/compensate.ts) with the reason
 *    `saga ended without outcome: <close>`: CANCELLED, or COMPENSATION_INCOMPLETE while a
 *    compensation is parked.
 *
 * Running it again (a second start, the sweeper finding it again, a terminate of this workflow
 * followed by a new run) refunds, releases, charges and cancels nothing twice: the steps' and the
 * compensations' event ids follow from the order.
 *
 * The hold branch needs no patch: only a settlement started with the policy `hold` takes it, and
 * every other path issues the commands it always did (the recorded `settled-after-terminate`
 * history replays), so a settlement started before the branch existed replays unchanged.
 */
export async function settleOrder(input: SettleOrderInput): Promise<SettleOrderResult> {
  const s = settlement(input);
  const { orderId, close } = input;

  const found = await s.own.orderStanding({ orderId });
  if (!awaitsOutcome(found.status))
    return s.finish({ orderId, outcome: 'had-outcome', status: found.status, ...nothing() });
  await s.own.noteUnsettled({
    orderId,
    close,
    foundStatus: found.status,
    policy: input.policy ?? 'compensate',
    ...(input.sagaRunId !== undefined && { runId: input.sagaRunId }),
    ...(input.sagaClosedAt !== undefined && { closedAt: new Date(input.sagaClosedAt) }),
  });
  if (input.policy === 'report') return { orderId, outcome: 'reported', status: found.status, ...nothing() };
  const facts: OrderFacts | undefined = found.facts ?? input.facts;
  // Not recorded, and nothing to record it with: the saga never priced it, so nothing was charged,
  // reserved or booked. A createOrder that lands late makes it an order a later sweep finds.
  if (!facts) return s.finish({ orderId, outcome: 'nothing-recorded', status: null, ...nothing() });
  if (input.policy === 'hold' && holdable(found.status)) return holdForRepair(s, facts);
  return compensateOrder(s, facts, settlementReason(close));
}
