import type { OrderItemInput, PricedItem, ShippingAddress } from './contract';
import type { CompensationStep, OrderFacts } from './saga';
import type { OrderStatus } from './status';

/** What the Order service records of an order (the facts of its OrderCreated, kept up to date). */
export interface OrderRecord {
  /** Sealed with the customer's key; `customer` is the pseudonym. */
  customerId: string;
  customer?: string;
  accountId: string;
  items: PricedItem[];
  total: number;
  shippingAddress: ShippingAddress;
  requiresApproval: boolean;
}

/**
 * The order as the decider sees it. `status: null` is an order not recorded yet. `order` is absent
 * when only the status is known (the service read nothing more), and rules that need it say so.
 */
export type OrderState =
  | { status: null }
  | {
      status: OrderStatus;
      order?: OrderRecord;
      openCompensations?: CompensationStep[];
      compensationCompletedLate?: boolean;
    };

/** Prices from the catalog, by SKU; a SKU it does not know is absent. */
export type Prices = ReadonlyMap<string, number>;

export type CreateOrder = {
  type: 'CreateOrder';
  orderId: string;
  customerId: string;
  customer?: string;
  accountId: string;
  items: OrderItemInput[];
  shippingAddress: ShippingAddress;
  prices: Prices;
  /** An order whose total is above it (in cents) waits for an operator's approval. */
  approvalThreshold: number;
};
/** Records an order the saga never got to create before undoing it (`facts` absent: sagas of the first version, which leave it missing). */
export type EnsureRecorded = { type: 'EnsureRecorded'; orderId: string; facts?: OrderFacts; prices?: Prices };
export type ApproveOrder = { type: 'ApproveOrder'; orderId: string };
export type RejectOrder = { type: 'RejectOrder'; orderId: string; by: string | null; reason: string | null };
export type ChangeShippingAddress = { type: 'ChangeShippingAddress'; orderId: string; address: ShippingAddress };
export type MarkNeedsAttention = { type: 'MarkNeedsAttention'; orderId: string; step: string; reason: string };
export type MarkCompensating = { type: 'MarkCompensating'; orderId: string; reason: string };
export type CompleteOrder = { type: 'CompleteOrder'; orderId: string };
export type CancelOrder = {
  type: 'CancelOrder';
  orderId: string;
  reason: string;
  openCompensations: CompensationStep[];
};
/**
 * A parked compensation was redriven. `parked`: the compensations whose dead letters are still not
 * redriven (the order's events record which were parked, not each redrive); absent, only `step` counts as redriven.
 */
export type RecordCompensationRedriven = {
  type: 'RecordCompensationRedriven';
  orderId: string;
  step: CompensationStep;
  parked?: string[];
};

/** Commands the service records whatever the order's status: the saga sends them only when they apply. */
export type RecordingCommand = ApproveOrder | RejectOrder | ChangeShippingAddress;
export type OrderCommand =
  | CreateOrder
  | EnsureRecorded
  | RecordingCommand
  | MarkNeedsAttention
  | MarkCompensating
  | CompleteOrder
  | CancelOrder
  | RecordCompensationRedriven;
