import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/orders';
import { readModelView } from './view';

/** What an order's events establish; its status follows from which of them have been seen, in the log's order. */
export const ORDER_FACTS = [
  'created',
  'requiresApproval',
  'approved',
  'paid',
  'reserved',
  'needsAttention',
  'shipped',
  'completed',
  'compensating',
  'cancelled',
  'incomplete',
  'compensationCompleted',
] as const;
export type Fact = (typeof ORDER_FACTS)[number];

/**
 * The fields that several events of an order set, each to its own value: the document holds the
 * value of the latest of them in the log (by position), whichever was applied last. Every other
 * field is set by one event type only, or is a fact, so any order of arrival gives the same document.
 */
export const LATEST_FIELDS = ['shippingAddress', 'failureReason', 'openCompensations'] as const;
export type LatestField = (typeof LATEST_FIELDS)[number];

const cents = z.number().int();

/**
 * The orders view's document (behind GET /orders, GET /orders/:id and GET /customers/:id/orders),
 * the one declaration of its shape. The fields are in the order the API answers them. Personal
 * fields hold what the events held, sealed with the customer's key: the API opens them for its
 * answer only.
 */
export const orderViewDocument = z.object({
  _id: z.string(),
  /** Sealed. */
  customerId: z.string(),
  /** The customer's pseudonym, which filters and ownership checks match on; null for orders recorded before pseudonyms. */
  customer: z.string().nullable(),
  accountId: z.string(),
  status: z.enum(ORDER_STATUSES),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int(), unitPrice: cents })),
  total: cents,
  /** Its personal fields sealed. */
  shippingAddress: z.object({ line1: z.string(), city: z.string(), postalCode: z.string(), country: z.string() }),
  /** May quote sealed values. */
  failureReason: z.string().nullable(),
  /** Compensations left as open dead letters when the saga ended (status COMPENSATION_INCOMPLETE). */
  openCompensations: z.array(z.string()).optional(),
  correlationId: z.string().optional(),
  createdAt: z.date(),
  updatedAt: z.date(),
  facts: z.partialRecord(z.enum(ORDER_FACTS), z.boolean()),
  /** The latest log position of the event that established each fact: the status follows the log's order of them. */
  factAt: z.partialRecord(z.enum(ORDER_FACTS), z.number().int()).optional(),
  /** The log position of the event each of LATEST_FIELDS holds the value of: an earlier event applied later leaves it alone. */
  setAt: z.partialRecord(z.enum(LATEST_FIELDS), z.number().int()).optional(),
  /** The highest log position applied to the document. */
  lastPosition: z.number().int(),
  /** The lease epoch of its last writer (projections/types.ts, fenceFilter). */
  epoch: z.number().int().optional(),
});

export type OrderViewDocument = z.infer<typeof orderViewDocument>;

export const orderView = readModelView(orderViewDocument, {
  id: 'orderId',
  internal: ['customer', 'facts', 'factAt', 'setAt', 'lastPosition', 'epoch'],
  personal: ['customerId', 'shippingAddress', 'failureReason'],
});
