import type { OrderCommand, OrderRecord, OrderState, Prices, RecordingCommand } from './commands';
import type { OrderItemInput, PricedItem } from './contract';
import { OrderClosedError, UnknownSkuError } from './errors';
import type { OrderEvent, SagaEventType } from './events';
import {
  allows,
  ORDER_STATUS,
  statusAfter,
  statusesBefore,
  TERMINAL_STATUSES,
  UNDONE_STATUSES,
  type OrderStatus,
  type StatusEvent,
} from './status';

/**
 * The order as the Order service keeps it, as a decider: pure functions, no I/O. The status moves
 * only as the status table allows (./status.ts); `decide` says which events a command records, or
 * throws a typed error (./errors.ts) when a rule refuses it.
 *
 * The order's stream is its state: the service folds the stream with `evolve`, decides on the fold,
 * and appends what `decide` returns in one append conditional on the version it folded up to, so a
 * state change and its event can never be written apart. A state already at a command's target is a
 * repeat (a retried activity): it records the same events again, under the same event ids, so the
 * log keeps them once.
 */

// Every event that moves the status is one of the saga's events.
type StatusEventsAreSagaEvents = StatusEvent extends SagaEventType ? true : never;
const statusEventsAreSagaEvents: StatusEventsAreSagaEvents = true;
void statusEventsAreSagaEvents;

const { COMPLETED } = ORDER_STATUS;

export const initialState = (): OrderState => ({ status: null });

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderCreated': {
      if (state.status !== null) return state;
      const { orderId: _orderId, ...order } = event.data;
      return {
        status: statusAfter('OrderCreated', { requiresApproval: order.requiresApproval }),
        order,
        openCompensations: [],
        compensationCompletedLate: false,
      };
    }
    case 'ShippingAddressChanged':
      return state.status !== null && state.order
        ? { ...state, order: { ...state.order, shippingAddress: event.data.address } }
        : state;
    case 'OrderRejected':
      return state;
    case 'OrderCancelled': {
      const open = (event.data.openCompensations ?? []) as NonNullable<
        Extract<OrderState, { status: OrderStatus }>['openCompensations']
      >;
      const to = move(state, 'OrderCancelled', { openCompensations: open.length > 0 });
      return to === state.status ? state : { ...state, status: to, openCompensations: open };
    }
    case 'OrderCompensationCompleted': {
      const to = move(state, 'OrderCompensationCompleted');
      return to === state.status
        ? state
        : { ...state, status: to, openCompensations: [], compensationCompletedLate: true };
    }
    case 'OrderApproved':
    case 'OrderNeedsAttention':
    case 'OrderCompensating':
    case 'OrderCompleted': {
      const to = move(state, event.type);
      return to === state.status || to === null ? state : { ...state, status: to };
    }
    default:
      // Events this code does not know (written by a newer version) leave the state alone.
      return state;
  }
}

/** The status after an event, where the table allows the move; otherwise the status stays. */
function move(
  state: OrderState,
  event: StatusEvent,
  conditions: { openCompensations?: boolean } = {},
): OrderStatus | null {
  return allows(state.status, event, conditions) ? statusAfter(event, conditions) : state.status;
}

export function decide(command: RecordingCommand, state?: OrderState): OrderEvent[];
export function decide(command: OrderCommand, state: OrderState): OrderEvent[];
export function decide(command: OrderCommand, state: OrderState = { status: null }): OrderEvent[] {
  const { orderId } = command;
  switch (command.type) {
    case 'CreateOrder': {
      if (state.status === null) {
        const unknown = command.items.map((i) => i.sku).filter((sku) => !command.prices.has(sku));
        if (unknown.length > 0) throw new UnknownSkuError(unknown);
        const { items, total } = priced(command.items, command.prices);
        const order: OrderRecord = {
          customerId: command.customerId,
          ...(command.customer !== undefined && { customer: command.customer }),
          accountId: command.accountId,
          items,
          total,
          shippingAddress: command.shippingAddress,
          requiresApproval: total > command.approvalThreshold,
        };
        return [created(orderId, order)];
      }
      // A late attempt must not revive an order that is being, or has been, undone.
      if (UNDONE_STATUSES.includes(state.status)) throw new OrderClosedError(orderId, state.status, 'created');
      return [created(orderId, recordOf(command, state))];
    }
    case 'EnsureRecorded': {
      if (state.status !== null) return [created(orderId, recordOf(command, state))];
      if (!command.facts || !command.prices) return [];
      // Nothing was charged for a SKU the catalog does not know: it counts 0. The saga is undoing
      // the order, so it never waits for approval.
      const { items, total } = priced(command.facts.items, command.prices, 0);
      return [created(orderId, { ...command.facts, items, total, requiresApproval: false })];
    }
    case 'ApproveOrder':
      return [{ type: 'OrderApproved', data: { orderId } }];
    case 'RejectOrder':
      return [{ type: 'OrderRejected', data: { orderId, by: command.by, reason: command.reason } }];
    case 'ChangeShippingAddress':
      return [{ type: 'ShippingAddressChanged', data: { orderId, address: command.address } }];
    case 'MarkNeedsAttention': {
      // A saga whose order is already being undone or has ended has nothing to wait for: a late repeat.
      if (state.status === null || !allows(state.status, 'OrderNeedsAttention')) return [];
      return [{ type: 'OrderNeedsAttention', data: { orderId, step: command.step, reason: command.reason } }];
    }
    case 'MarkCompensating': {
      if (state.status === COMPLETED) throw new OrderClosedError(orderId, state.status, 'compensated');
      // Already cancelled: a late repeat, nothing to record.
      if (state.status !== null && TERMINAL_STATUSES.includes(state.status)) return [];
      return [{ type: 'OrderCompensating', data: { orderId, reason: command.reason } }];
    }
    case 'CompleteOrder': {
      // The point of no return, seen from the other side: an undone order never completes.
      if (state.status === null || UNDONE_STATUSES.includes(state.status))
        throw new OrderClosedError(orderId, state.status, 'completed');
      const order = recordOf(command, state);
      return [
        {
          type: 'OrderCompleted',
          data: { orderId, customerId: order.customerId, total: order.total, items: order.items },
        },
      ];
    }
    case 'CancelOrder': {
      if (state.status === COMPLETED) throw new OrderClosedError(orderId, state.status, 'cancelled');
      const order = state.status === null ? undefined : state.order;
      const open = command.openCompensations;
      return [
        {
          type: 'OrderCancelled',
          data: {
            orderId,
            customerId: order?.customerId ?? null,
            total: order?.total ?? null,
            reason: command.reason,
            ...(open.length > 0 ? { openCompensations: open } : {}),
          },
        },
      ];
    }
    case 'RecordCompensationRedriven': {
      if (state.status === null) return [];
      const settled =
        state.status === statusAfter('OrderCompensationCompleted') && state.compensationCompletedLate === true;
      // The others parked when the order was cancelled must have been redriven too (`parked` says which are not).
      const stillParked = (step: string) =>
        step !== command.step && (command.parked === undefined || command.parked.includes(step));
      const lastOpen =
        statusesBefore('OrderCompensationCompleted').includes(state.status) &&
        !(state.openCompensations ?? []).some(stillParked);
      return settled || lastOpen ? [{ type: 'OrderCompensationCompleted', data: { orderId } }] : [];
    }
  }
}

function created(orderId: string, order: OrderRecord): OrderEvent {
  return {
    type: 'OrderCreated',
    data: {
      orderId,
      customerId: order.customerId,
      ...(order.customer !== undefined && { customer: order.customer }),
      accountId: order.accountId,
      items: order.items,
      total: order.total,
      shippingAddress: order.shippingAddress,
      requiresApproval: order.requiresApproval,
    },
  };
}

function priced(
  items: OrderItemInput[],
  prices: Prices,
  unknownPrice?: number,
): { items: PricedItem[]; total: number } {
  const withPrices = items.map((i) => ({ ...i, unitPrice: prices.get(i.sku) ?? unknownPrice! }));
  return { items: withPrices, total: withPrices.reduce((sum, i) => sum + i.unitPrice * i.quantity, 0) };
}

/** The recorded facts a rule needs; a state read without them is a caller's mistake, not a business outcome. */
function recordOf(command: OrderCommand, state: Extract<OrderState, { status: OrderStatus }>): OrderRecord {
  if (!state.order)
    throw new Error(`${command.type} of order ${command.orderId} needs the recorded order, not only its status`);
  return state.order;
}
