import { describe, expect, it } from 'vitest';
import {
  allows,
  decide,
  evolve,
  initialState,
  ORDER_STATUSES,
  OrderClosedError,
  statusAfter,
  statusesBefore,
  TERMINAL_STATUSES,
  UNDONE_STATUSES,
  UnknownSkuError,
  type CompensationStep,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type OrderStatus,
} from '../../../domain/orders';

const orderId = 'o-1';
const address = { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const newAddress = { ...address, line1: '2 Elm St' };
const facts = {
  customerId: 'pd1.sealed',
  customer: 'cust-pseudonym',
  accountId: 'acc-1',
  items: [{ sku: 'A', quantity: 2 }],
  shippingAddress: address,
};
const prices = new Map([['A', 500]]);

const created = (requiresApproval = false, unitPrice = 500): OrderEvent => ({
  type: 'OrderCreated',
  data: {
    orderId,
    customerId: facts.customerId,
    customer: facts.customer,
    accountId: facts.accountId,
    items: [{ sku: 'A', quantity: 2, unitPrice }],
    total: 2 * unitPrice,
    shippingAddress: address,
    requiresApproval,
  },
});
const approved: OrderEvent = { type: 'OrderApproved', data: { orderId } };
const compensating = (reason = 'out of stock'): OrderEvent => ({
  type: 'OrderCompensating',
  data: { orderId, reason },
});
const completed: OrderEvent = {
  type: 'OrderCompleted',
  data: { orderId, customerId: facts.customerId, total: 1000, items: [{ sku: 'A', quantity: 2, unitPrice: 500 }] },
};
const cancelled = (open: CompensationStep[] = [], known = true): OrderEvent => ({
  type: 'OrderCancelled',
  data: {
    orderId,
    customerId: known ? facts.customerId : null,
    total: known ? 1000 : null,
    reason: 'out of stock',
    ...(open.length > 0 ? { openCompensations: open } : {}),
  },
});
const compensationCompleted: OrderEvent = { type: 'OrderCompensationCompleted', data: { orderId } };

const create = (approvalThreshold = 5000, items = facts.items): OrderCommand => ({
  type: 'CreateOrder',
  orderId,
  ...facts,
  items,
  prices,
  approvalThreshold,
});
const markCompensating: OrderCommand = { type: 'MarkCompensating', orderId, reason: 'out of stock' };
const complete: OrderCommand = { type: 'CompleteOrder', orderId };
const cancel = (open: CompensationStep[] = []): OrderCommand => ({
  type: 'CancelOrder',
  orderId,
  reason: 'out of stock',
  openCompensations: open,
});
const redriven = (step: CompensationStep): OrderCommand => ({ type: 'RecordCompensationRedriven', orderId, step });

const fold = (events: OrderEvent[]): OrderState => events.reduce(evolve, initialState());

type Case = [
  name: string,
  given: OrderEvent[],
  command: OrderCommand,
  then: OrderEvent[] | (new (...args: never[]) => Error),
];

const cases: Case[] = [
  // Creation
  ['creates an order priced from the catalog', [], create(), [created()]],
  ['makes an order above the approval threshold wait for approval', [], create(999), [created(true)]],
  ['creates an order at exactly the threshold without approval', [], create(1000), [created(false)]],
  [
    'refuses an order with a SKU the catalog does not know',
    [],
    create(5000, [...facts.items, { sku: 'Z', quantity: 1 }]),
    UnknownSkuError,
  ],
  [
    'repeats the first attempt of a retried creation, with its prices',
    [created()],
    { ...create(1), prices: new Map([['A', 1]]) } as OrderCommand,
    [created()],
  ],
  ['refuses a late creation of an order being undone', [created(), compensating()], create(), OrderClosedError],
  ['refuses a late creation of a cancelled order', [created(), cancelled()], create(), OrderClosedError],
  [
    'records an order the saga never created at 0 for SKUs the catalog does not know, without approval',
    [],
    { type: 'EnsureRecorded', orderId, facts: { ...facts, items: [{ sku: 'A', quantity: 2 }] }, prices: new Map() },
    [created(false, 0)],
  ],
  ['leaves an order of a first-version saga (no facts) unrecorded', [], { type: 'EnsureRecorded', orderId }, []],
  [
    'repeats the OrderCreated of an order already recorded',
    [created(true)],
    { type: 'EnsureRecorded', orderId, facts, prices },
    [created(true)],
  ],
  // Approval, rejection, address
  ['approves an order awaiting approval', [created(true)], { type: 'ApproveOrder', orderId }, [approved]],
  [
    'records who rejected an order and why',
    [created(true)],
    { type: 'RejectOrder', orderId, by: 'ops', reason: 'too large' },
    [{ type: 'OrderRejected', data: { orderId, by: 'ops', reason: 'too large' } }],
  ],
  [
    'records a new shipping address',
    [created()],
    { type: 'ChangeShippingAddress', orderId, address: newAddress },
    [{ type: 'ShippingAddressChanged', data: { orderId, address: newAddress } }],
  ],
  // Compensation
  ['marks an order in progress compensating', [created()], markCompensating, [compensating()]],
  [
    'marks an order compensating again when the marking is retried',
    [created(), compensating()],
    markCompensating,
    [compensating()],
  ],
  ['marks an order the saga never recorded compensating', [], markCompensating, [compensating()]],
  ['refuses to undo a completed order', [created(), completed], markCompensating, OrderClosedError],
  [
    'records nothing for a late marking of a cancelled order',
    [created(), compensating(), cancelled()],
    markCompensating,
    [],
  ],
  [
    'records nothing for a late marking of an order cancelled with compensations parked',
    [created(), cancelled(['refundPayment'])],
    markCompensating,
    [],
  ],
  // The point of no return
  ['completes an order in progress', [created()], complete, [completed]],
  ['completes an approved order', [created(true), approved], complete, [completed]],
  ['repeats the completion when it is retried', [created(), completed], complete, [completed]],
  ['refuses a late completion of an order being undone', [created(), compensating()], complete, OrderClosedError],
  [
    'refuses a late completion of a cancelled order',
    [created(), compensating(), cancelled()],
    complete,
    OrderClosedError,
  ],
  ['refuses to complete an order that was never recorded', [], complete, OrderClosedError],
  // Cancellation
  ['cancels an order being undone', [created(), compensating()], cancel(), [cancelled()]],
  ['cancels an order whose marking failed, straight from in progress', [created()], cancel(), [cancelled()]],
  [
    'cancels with the compensations that are open dead letters',
    [created(), compensating()],
    cancel(['refundPayment']),
    [cancelled(['refundPayment'])],
  ],
  ['cancels an order never recorded without its customer or total', [], cancel(), [cancelled([], false)]],
  ['repeats the cancellation when it is retried', [created(), compensating(), cancelled()], cancel(), [cancelled()]],
  ['refuses a late cancellation of a completed order', [created(), completed], cancel(), OrderClosedError],
  // Redriven compensations
  [
    'settles the order when its last parked compensation is redriven',
    [created(), cancelled(['refundPayment'])],
    redriven('refundPayment'),
    [compensationCompleted],
  ],
  [
    'waits while other parked compensations are open',
    [created(), cancelled(['refundPayment', 'releaseItems'])],
    redriven('refundPayment'),
    [],
  ],
  [
    'repeats the settlement when a redrive is retried',
    [created(), cancelled(['refundPayment']), compensationCompleted],
    redriven('refundPayment'),
    [compensationCompleted],
  ],
  [
    'records nothing for a redrive of an order cancelled without parked compensations',
    [created(), cancelled()],
    redriven('refundPayment'),
    [],
  ],
  [
    'settles the order when the other parked compensations were redriven before',
    [created(), cancelled(['refundPayment', 'releaseItems'])],
    { ...redriven('refundPayment'), parked: [] } as OrderCommand,
    [compensationCompleted],
  ],
  [
    'waits while another parked compensation is still a dead letter',
    [created(), cancelled(['refundPayment', 'releaseItems'])],
    { ...redriven('refundPayment'), parked: ['releaseItems'] } as OrderCommand,
    [],
  ],
];

describe('order decider', () => {
  it.each(cases)('%s', (_name, given, command, then) => {
    const state = fold(given);
    if (Array.isArray(then)) expect(decide(command, state)).toEqual(then);
    else expect(() => decide(command, state)).toThrow(then);
  });

  it('names the unknown SKUs as the Order service always has', () => {
    expect(() =>
      decide(
        create(5000, [
          { sku: 'Z', quantity: 1 },
          { sku: 'Y', quantity: 1 },
        ]),
        initialState(),
      ),
    ).toThrow('unknown SKU Z, Y');
  });

  it.each<[OrderEvent[], OrderCommand, string]>([
    [[created(), compensating()], create(), 'order o-1 cannot be created: it is COMPENSATING'],
    [[created(), completed], markCompensating, 'order o-1 cannot be compensated: it is COMPLETED'],
    [[], complete, 'order o-1 cannot be completed: it is not recorded'],
    [
      [created(), cancelled(['releaseItems'])],
      complete,
      'order o-1 cannot be completed: it is COMPENSATION_INCOMPLETE',
    ],
    [[created(), completed], cancel(), 'order o-1 cannot be cancelled: it is COMPLETED'],
  ])('refuses with the code the saga knows and a message naming the status (%#)', (given, command, message) => {
    expect(() => decide(command, fold(given))).toThrow(expect.objectContaining({ code: 'OrderClosed', message }));
  });

  it('says so, instead of deciding, when a rule needs the recorded order and has only its status', () => {
    expect(() => decide(complete, { status: 'PENDING' })).toThrow(/needs the recorded order/);
  });
});

describe('order evolve', () => {
  it.each<[string, OrderEvent[], OrderStatus | null]>([
    ['an order not recorded has no status', [], null],
    ['an order waits for approval', [created(true)], 'AWAITING_APPROVAL'],
    ['an approval makes it pending', [created(true), approved], 'PENDING'],
    ['a completion completes it', [created(), completed], 'COMPLETED'],
    ['a late marking leaves a completed order completed', [created(), completed, compensating()], 'COMPLETED'],
    [
      'a late completion leaves a cancelled order cancelled',
      [created(), compensating(), cancelled(), completed],
      'CANCELLED',
    ],
    [
      'open compensations leave the order incomplete',
      [created(), compensating(), cancelled(['refundPayment'])],
      'COMPENSATION_INCOMPLETE',
    ],
    [
      'the last redriven compensation cancels it after all',
      [created(), compensating(), cancelled(['refundPayment']), compensationCompleted],
      'CANCELLED',
    ],
    ['an order never recorded can still be cancelled', [cancelled([], false)], 'CANCELLED'],
  ])('%s', (_name, events, status) => {
    expect(fold(events).status).toBe(status);
  });

  it('keeps the latest shipping address and the parked compensations', () => {
    const state = fold([
      created(),
      { type: 'ShippingAddressChanged', data: { orderId, address: newAddress } },
      compensating(),
      cancelled(['refundPayment']),
    ]);
    expect(state).toMatchObject({ order: { shippingAddress: newAddress }, openCompensations: ['refundPayment'] });
  });

  it('ignores event types it does not know', () => {
    const state = fold([created()]);
    expect(evolve(state, { type: 'SomethingNew', data: {} } as unknown as OrderEvent)).toBe(state);
  });
});

describe('each conditional append records exactly where the status table says the command applies', () => {
  const record = fold([created()]);
  const at = (status: OrderStatus): OrderState => ({ ...record, status, openCompensations: ['refundPayment'] });
  const applies = {
    /** Not ended: a late repeat on a cancelled order records nothing, on a completed one it is refused. */
    MarkCompensating: ORDER_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s)),
    /** Not undone: COMPLETED itself is a retried completion. */
    CompleteOrder: ORDER_STATUSES.filter((s) => !UNDONE_STATUSES.includes(s)),
    /** Anything but completed: an order already cancelled is a retried cancellation. */
    CancelOrder: ORDER_STATUSES.filter((s) => s !== 'COMPLETED'),
    RecordCompensationRedriven: statusesBefore('OrderCompensationCompleted'),
    /** Neither ended nor undone: a saga that is undoing its order has nothing to wait for. */
    MarkNeedsAttention: statusesBefore('OrderNeedsAttention'),
  };

  it.each<[keyof typeof applies, OrderCommand, Parameters<typeof statusAfter>]>([
    ['MarkCompensating', markCompensating, ['OrderCompensating']],
    ['CompleteOrder', complete, ['OrderCompleted']],
    ['CancelOrder', cancel(), ['OrderCancelled']],
    ['RecordCompensationRedriven', redriven('refundPayment'), ['OrderCompensationCompleted']],
    [
      'MarkNeedsAttention',
      { type: 'MarkNeedsAttention', orderId, step: 'scheduleShipment', reason: 'the carrier does not serve it' },
      ['OrderNeedsAttention'],
    ],
  ])(
    '%s: records events for exactly the statuses it applies to, and a move sets the status the events lead to',
    (name, command, [event]) => {
      for (const status of ORDER_STATUSES) {
        let events: OrderEvent[] = [];
        try {
          events = decide(command, at(status));
        } catch (err) {
          expect(err).toBeInstanceOf(OrderClosedError);
        }
        const moves = (applies[name] as readonly OrderStatus[]).includes(status);
        expect({ status, records: events.length > 0 }).toEqual({ status, records: moves });
        // A move the table allows; a repeat (a retried append) leaves the status where the first append put it.
        if (moves && allows(status, event)) expect(events.reduce(evolve, at(status)).status).toBe(statusAfter(event));
      }
    },
  );

  it('ApproveOrder: the approval moves only an order awaiting approval, to where the approval leads', () => {
    expect(statusesBefore('OrderApproved')).toEqual(['AWAITING_APPROVAL']);
    expect(evolve(at('AWAITING_APPROVAL'), approved).status).toBe(statusAfter('OrderApproved'));
    for (const status of ORDER_STATUSES.filter((s) => s !== 'AWAITING_APPROVAL'))
      expect(evolve(at(status), approved).status).toBe(status);
  });
});
