import { z } from 'zod';
import { ORDER_STATUSES, REPAIR_ACTIONS, shippingAddressSchema } from '../../domain/orders';
import { emptyQuery, idempotencyHeader, id, NOT_BLANK, page, skuSchema } from './schemas';
import { EMPTY_RANGE, EVENTUAL, operations, operators } from './define';
import { acceptedBody, customerOrdersBody, orderPageBody, orderViewBody, sagaStatusBody } from './responses';

export const placeOrderSchema = z.strictObject({
  customerId: id,
  accountId: id,
  items: z
    .array(z.strictObject({ sku: skuSchema, quantity: z.number().int().positive().max(10_000) }))
    .min(1, 'an order needs at least one item')
    .max(100),
  shippingAddress: shippingAddressSchema,
});

export const orderIdParams = z.object({ orderId: id });
export const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500).meta(NOT_BLANK).optional() });

/** An operator's repair of a saga waiting in NEEDS_ATTENTION (domain/orders/repair.ts). */
export const repairBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('retry') }),
  z.strictObject({ action: z.literal('correct'), shippingAddress: shippingAddressSchema }),
  z.strictObject({ action: z.literal('compensate'), reason: z.string().trim().min(1).max(500).meta(NOT_BLANK) }),
]);
export const repairAcceptedBody = z.looseObject({
  orderId: z.string(),
  accepted: z.literal('repair'),
  action: z.enum(REPAIR_ACTIONS),
  status: z.enum(ORDER_STATUSES),
});

/** What the saga decided in its first step (the `placed` Update's answer). */
export const orderPlacedBody = z.object({
  orderId: z.string(),
  workflowId: z.string(),
  status: z.enum(ORDER_STATUSES),
  total: z.number().int().nullable().meta({ description: 'Cents; null if the saga stopped before pricing' }),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int(), unitPrice: z.number().int().nullable() })),
  requiresApproval: z.boolean(),
});

/** What a cancel answers, the first time and on every repeat: the order's status when it was asked. */
export const cancelAcceptedBody = z.looseObject({
  orderId: z.string(),
  accepted: z.literal('cancel'),
  status: z.enum(ORDER_STATUSES),
});

const createdBound = (description: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone, e.g. 2024-05-01T12:00:00Z' })
    .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a real date')
    .optional()
    .meta({ description });

export const ordersQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  customerId: id
    .optional()
    .meta({ description: "The customer's own id; the server turns it into the pseudonym the read model holds" }),
  customer: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]{1,200}$/, 'must be a customer pseudonym, as the events and read models hold it')
    .optional()
    .meta({ description: "The customer's pseudonym, as events and read models hold it" }),
  from: createdBound('Orders created at or after this instant'),
  to: createdBound('Orders created at or before this instant'),
  ...page,
});
export const customerOrdersQuery = z.strictObject({ status: z.enum(ORDER_STATUSES).optional(), ...page });
export const customerParams = z.object({ customerId: id });

export const orderOperations = operations({
  'POST /orders': {
    summary:
      'Place an order: starts the saga order-<orderId> and, in the same call, asks it (the `placed` Update) what it decided',
    access: { client: 'own-body', why: 'for its own customer id, paid from an account it holds' },
    headers: idempotencyHeader,
    body: placeOrderSchema,
    responses: {
      '202': {
        description: 'Saga started. The body is what the saga decided in its first step',
        body: orderPlacedBody,
      },
      '403': 'A client naming another customer',
      '409': 'A request with this Idempotency-Key is still running',
      '422': 'Unknown SKU, an account the caller cannot pay with, or Idempotency-Key reused with another body',
    },
  },
  'GET /orders': {
    summary: `List orders. ${EVENTUAL}`,
    access: { client: 'own-list' },
    query: ordersQuery,
    readModel: true,
    responses: { '200': { description: 'A page of orders, newest first', body: orderPageBody }, '422': EMPTY_RANGE },
  },
  'GET /orders/:orderId': {
    summary: `One order. ${EVENTUAL}`,
    access: { client: 'own-order' },
    params: orderIdParams,
    query: emptyQuery,
    readModel: true,
    responses: { '200': { description: 'The order', body: orderViewBody }, '404': 'Unknown order' },
  },
  'GET /orders/:orderId/saga': {
    summary: 'The live saga state (Temporal query; strongly consistent)',
    access: { client: 'own-order' },
    params: orderIdParams,
    responses: { '200': { description: 'Saga status', body: sagaStatusBody }, '404': 'Unknown order' },
  },
  'POST /orders/:orderId/approve': {
    summary: 'Approve an order awaiting approval (signal)',
    access: operators,
    params: orderIdParams,
    responses: {
      '202': { description: 'Accepted', body: acceptedBody },
      '404': 'Unknown order',
      '409': 'Not awaiting approval',
    },
  },
  'POST /orders/:orderId/reject': {
    summary: 'Reject an order awaiting approval (signal)',
    access: operators,
    params: orderIdParams,
    body: reasonBody,
    bodyOptional: true,
    responses: {
      '202': { description: 'Accepted', body: acceptedBody },
      '404': 'Unknown order',
      '409': 'Not awaiting approval',
    },
  },
  'POST /orders/:orderId/cancel': {
    summary:
      'Cancel a running saga (Temporal update): it compensates what was done. Safe to repeat: an order already being cancelled, or that ended cancelled, answers 202 again. Refused past the point of no return (completeOrder started)',
    access: operators,
    params: orderIdParams,
    body: reasonBody,
    bodyOptional: true,
    responses: {
      '202': {
        description: 'Accepted, or already being cancelled or cancelled (a repeat): the order and its current status',
        body: cancelAcceptedBody,
      },
      '404': 'Unknown order',
      '409': 'Past the point of no return: completing or COMPLETED',
    },
  },
  'POST /orders/:orderId/repair': {
    summary:
      'Repair a saga waiting in NEEDS_ATTENTION (Temporal update): retry its step, correct its input (the shipping address) and retry, or compensate. Audited with the key id. Refused when the saga is not waiting; a saga not repaired within REPAIR_WAIT_TIMEOUT compensates by itself. With an Idempotency-Key a resent repair replays the first answer and is not applied again',
    access: operators,
    params: orderIdParams,
    headers: idempotencyHeader,
    body: repairBody,
    responses: {
      '202': { description: 'Accepted: the saga acts on it at once', body: repairAcceptedBody },
      '404': 'Unknown order',
      '409':
        'Not waiting for a repair (or the input of its step cannot be corrected), or a request with this Idempotency-Key is still running',
      '422': 'Idempotency-Key reused with another body (another action, address, reason or order)',
    },
  },
  'PUT /orders/:orderId/shipping-address': {
    summary: 'Change the address until the shipment is scheduled (Temporal update)',
    access: operators,
    params: orderIdParams,
    body: shippingAddressSchema,
    responses: { '202': { description: 'Accepted', body: acceptedBody }, '404': 'Unknown order', '409': 'Too late' },
  },
  'GET /customers/:customerId/orders': {
    summary: `A customer's order history. ${EVENTUAL}`,
    access: { client: 'own-customer' },
    params: customerParams,
    query: customerOrdersQuery,
    readModel: true,
    responses: {
      '200': { description: 'A page of orders', body: customerOrdersBody },
      '404': 'Not visible to this client',
    },
  },
});
