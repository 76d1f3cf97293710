import type { Db } from 'mongodb';
import { evolve, initialState, type OrderEvent, type OrderState } from '../../../domain/orders';
import {
  evolve as evolveShipment,
  initialState as initialShipment,
  type ShipmentDecision,
} from '../../../domain/shipments';
import { beforeShipment, expectedEnd } from './cells';
import { OPENING_BALANCE, PRICE, QUANTITY, STOCK, type CellOutcome } from './run-cell';

interface EventDoc {
  streamId: string;
  type: string;
  data: Record<string, unknown>;
  position: number;
}

/** The invariants every cell is held to; the names are what a failing cell reports. */
export const INVARIANTS = [
  'the workflow closes',
  'it ends as the promise says (COMPLETED, CANCELLED, or COMPENSATION_INCOMPLETE with dead letters)',
  'never OrderCompleted together with a compensation',
  'the order is readable (its stream starts with OrderCreated)',
  'exactly one terminal notification (OrderCompleted or OrderCancelled, once)',
  'money is conserved (charged once if completed, else refunded)',
  'stock is conserved (reserved once if completed, else released)',
  'a shipment is booked exactly when the order completed',
  'what could not be undone is an open dead letter that counted its attempts',
  'the last applied address change is the one shipped',
] as const;

/**
 * Checks one cell's saga against the promise and returns the broken invariants (empty: kept).
 * `settled`: after the parked compensations were redriven, when money and stock must be whole
 * and the order must read CANCELLED; before that, an open dead letter excuses exactly its effect.
 */
export async function brokenInvariants(db: Db, outcome: CellOutcome, phase: 'ended' | 'settled'): Promise<string[]> {
  const { run, accountId, sku, end, saga } = outcome;
  const { orderId } = run;
  const broken: string[] = [];
  const fail = (i: number, detail: string) => broken.push(`${INVARIANTS[i]}: ${detail}`);

  const events = (await db
    .collection('events')
    .find({ 'data.orderId': orderId })
    .sort({ position: 1 })
    .toArray()) as unknown as EventDoc[];
  const orderEvents = events.filter((e) => e.streamId === `order-${orderId}`);
  const orderStream = orderEvents.map((e) => e.type);
  // The order's state is the fold of its stream, as the Order service reads it.
  const order: OrderState = orderEvents.reduce(
    (state, e) => evolve(state, { type: e.type, data: e.data } as OrderEvent),
    initialState(),
  );
  const types = events.map((e) => e.type);
  const count = (type: string) => types.filter((t) => t === type).length;
  const letters = await db.collection('dead_letters').find({ orderId, kind: 'compensation' }).toArray();
  const openLetters = letters.filter((l) => l.status === 'open');
  const parked = (step: string) => phase === 'ended' && openLetters.some((l) => l.step === step);

  if (end === 'FAILED') fail(0, 'the workflow failed instead of ending');
  const expected = expectedEnd(run.cell);
  const completed = end === 'COMPLETED';
  if (end !== expected) fail(1, `ended ${end}, expected ${expected}`);
  if (phase === 'ended' && end === 'COMPENSATION_INCOMPLETE' && (saga.openDeadLetters ?? []).length === 0)
    fail(1, 'COMPENSATION_INCOMPLETE names no dead letter');

  const undone = [
    'OrderCompensating',
    'OrderCancelled',
    'PaymentRefunded',
    'ItemsReleased',
    'ShipmentCancelled',
  ].filter((t) => types.includes(t));
  if (types.includes('OrderCompleted') && undone.length > 0) fail(2, `OrderCompleted and ${undone.join(', ')}`);

  if (!parked('cancelOrder')) {
    if (orderStream[0] !== 'OrderCreated') fail(3, `order stream is [${orderStream.join(', ')}]`);
    const terminal = count('OrderCompleted') + count('OrderCancelled');
    if (terminal !== 1) fail(4, `${terminal} terminal events: [${orderStream.join(', ')}]`);
    const wanted = phase === 'settled' && !completed ? 'CANCELLED' : end;
    if (order.status !== wanted) fail(3, `the order's stream says ${order.status ?? 'nothing'}, expected ${wanted}`);
  }

  const account = await db
    .collection('events')
    .find({ streamId: `account-${accountId}` })
    .sort({ position: 1 })
    .toArray();
  const withdrawn = account.filter((e) => e.type === 'Withdrawn').reduce((n, e) => n + (e.data.amount as number), 0);
  const refunded = account
    .filter((e) => e.type === 'Deposited' && e.data.reason === 'refund')
    .reduce((n, e) => n + (e.data.amount as number), 0);
  const total = PRICE * QUANTITY;
  if (withdrawn > total) fail(5, `withdrew ${withdrawn} for an order of ${total}`);
  if (refunded > withdrawn) fail(5, `refunded ${refunded} of ${withdrawn} withdrawn`);
  if (completed && (withdrawn !== total || refunded !== 0))
    fail(5, `completed but withdrew ${withdrawn} and refunded ${refunded}`);
  if (!completed && !parked('refundPayment') && withdrawn !== refunded)
    fail(5, `cancelled but withdrew ${withdrawn} and refunded ${refunded}`);
  const balance = OPENING_BALANCE - withdrawn + refunded;
  if (balance < 0) fail(5, `balance ${balance}`);

  const level = await db.collection('inventory').findOne({ _id: sku as never });
  if (!level || level.available + level.reserved !== STOCK)
    fail(6, `available ${level?.available} + reserved ${level?.reserved} != ${STOCK}`);
  else if (completed && level.reserved !== QUANTITY) fail(6, `completed but ${level.reserved} reserved`);
  else if (!completed && !parked('releaseItems') && level.reserved !== 0)
    fail(6, `cancelled but ${level.reserved} still reserved`);

  // The shipment's state is the fold of its stream, as the Shipping service reads it.
  const shipment = events
    .filter((e) => e.streamId === `shipment-${orderId}`)
    .reduce((state, e) => evolveShipment(state, { type: e.type, data: e.data } as ShipmentDecision), initialShipment());
  const booked = shipment.status === 'scheduled';
  if (completed !== booked && !parked('cancelShipment')) fail(7, `order ${end}, shipment ${shipment.status ?? 'none'}`);

  for (const step of saga.compensationsFailed) {
    const letter = letters.find((l) => l.step === step);
    if (!letter) fail(8, `${step} failed without a dead letter`);
    else if (letter.attempts !== outcome.settings.compensationPolicy.maximumAttempts)
      fail(8, `${step}'s dead letter says ${letter.attempts} attempts`);
  }
  if (phase === 'ended' && end === 'CANCELLED' && openLetters.length > 0)
    fail(8, `CANCELLED with open dead letters ${openLetters.map((l) => l.step).join(', ')}`);

  if (run.addresses && booked) {
    const wanted = run.addresses.applied.at(-1)?.line1 ?? '1 Main St';
    const shipped = shipment.status === 'scheduled' ? shipment.address.line1 : undefined;
    if (shipped !== wanted) fail(9, `shipped to ${shipped}, last applied change ${wanted}`);
    const recorded = order.status !== null ? order.order?.shippingAddress.line1 : undefined;
    if (recorded !== wanted) fail(9, `the order records ${recorded}, last applied change ${wanted}`);
  }
  if (run.addresses && !beforeShipment(run.cell.step) && run.addresses.applied.length > 0)
    fail(9, 'an address change was applied after the shipment was booked');
  return broken;
}
