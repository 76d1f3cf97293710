import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/orders';
import { accountView, inventoryLevelView, orderView } from '../../readside';
import { answerSchema } from './read-model-answer';

/**
 * What the successful answers carry. Loose objects: they name the fields a client relies on, with
 * their types, and allow fields to be added without breaking a generated client.
 */
const instant = z.string().meta({ format: 'date-time' });
const cents = z.number().int();
const address = z.looseObject({ line1: z.string(), city: z.string(), postalCode: z.string(), country: z.string() });
const nextCursor = z
  .string()
  .nullable()
  .meta({ description: 'Pass as cursor for the next page; null on the last page' });

export const healthBody = z.looseObject({
  temporal: z.enum(['up', 'down']),
  mongodb: z.enum(['up', 'down']),
  errors: z.record(z.string(), z.string()).optional(),
});
export const readinessBody = z.looseObject({
  ready: z.boolean(),
  temporal: z.enum(['up', 'down']),
  mongodb: z.enum(['up', 'down']),
  errors: z.record(z.string(), z.string()).optional(),
});
export const readSideBody = z.looseObject({
  ready: z.boolean(),
  mongodb: z.enum(['up', 'down']),
  stalled: z.array(z.looseObject({ name: z.string(), lagEvents: z.number(), lagMs: z.number() })),
  projections: z.array(
    z.looseObject({ name: z.string(), state: z.enum(['running', 'catching-up', 'stalled', 'rebuilding']) }),
  ),
  errors: z.record(z.string(), z.string()).optional(),
});

/**
 * An order of the orders view, derived from its document. The instants and the correlation id are
 * answered but not named here; the contract states the items by what a client relies on, and the
 * total and address as nullable.
 */
const orderItem = orderView.document.shape.items.element;
export const ORDER_VIEW_UNPUBLISHED = ['correlationId', 'createdAt', 'updatedAt'] as const;
export const orderViewBody = answerSchema(orderView, {
  unpublished: ORDER_VIEW_UNPUBLISHED,
  publish: {
    items: z.array(orderItem.pick({ sku: true, quantity: true }).loose()),
    total: cents.nullable(),
    shippingAddress: address.nullable(),
  },
});
export const orderPageBody = z.looseObject({ orders: z.array(orderViewBody), nextCursor });
export const customerOrdersBody = z.looseObject({ customerId: z.string(), orders: z.array(orderViewBody), nextCursor });
export const sagaStatusBody = z.looseObject({
  orderId: z.string(),
  status: z.enum(ORDER_STATUSES),
  awaitingApproval: z.boolean(),
  stepsDone: z.array(z.string()),
  compensationsDone: z.array(z.string()),
  compensationsFailed: z.array(z.string()),
  failureReason: z.string().nullable(),
  total: cents.nullable(),
  shippingAddress: address,
  /** A step failed for a reason an operator can fix: the saga waits for POST /orders/:id/repair until `until`. */
  needsAttention: z
    .object({ step: z.string(), reason: z.string(), since: z.string(), until: z.string() })
    .nullable()
    .optional(),
});
export const acceptedBody = z.looseObject({ orderId: z.string() });

export const accountBody = z.looseObject({
  accountId: z.string(),
  customerId: z.string().nullable(),
  owner: z.string(),
  balance: cents,
  version: z.number().int(),
});
export const movementAnswerBody = z.looseObject({
  accountId: z.string(),
  balance: cents,
  version: z.number().int(),
  position: z.number().int(),
});
/** An account of the accounts list, derived from its document; the instants are answered but not named here. */
export const ACCOUNT_VIEW_UNPUBLISHED = ['openedAt', 'updatedAt'] as const;
export const accountListedBody = answerSchema(accountView, { unpublished: ACCOUNT_VIEW_UNPUBLISHED });
export const accountPageBody = z.looseObject({ accounts: z.array(accountListedBody), nextCursor });
export const accountEventsBody = z.looseObject({
  events: z.array(
    z.looseObject({
      version: z.number().int(),
      position: z.number().int(),
      type: z.string(),
      data: z.looseObject({}),
      metadata: z.looseObject({ eventId: z.string(), timestamp: instant }),
    }),
  ),
});

export const stockLevelBody = z.looseObject({
  sku: z.string(),
  available: z.number().int(),
  reserved: z.number().int(),
  price: cents,
});
/** A SKU's level, derived from its document. */
export const inventoryLevelBody = answerSchema(inventoryLevelView);
export const levelsBody = z.looseObject({ levels: z.array(inventoryLevelBody) });
export const salesBody = z.looseObject({
  groupBy: z.enum(['day', 'sku']),
  from: z.string().nullable(),
  to: z.string().nullable(),
  rows: z.array(z.looseObject({ orders: z.number().int(), units: z.number().int(), revenue: cents })),
});

export const projectionsBody = z.looseObject({
  headPosition: z.number().int(),
  projections: z.array(
    z.looseObject({
      name: z.string(),
      state: z.enum(['running', 'catching-up', 'stalled', 'rebuilding']),
      lagEvents: z.number(),
      lagMs: z.number(),
    }),
  ),
});
export const deadLetterBody = z.looseObject({ id: z.string(), source: z.string(), status: z.string() });
export const deadLettersBody = z.looseObject({ deadLetters: z.array(deadLetterBody) });
export const emailsBody = z.looseObject({
  emails: z.array(z.looseObject({ id: z.string(), orderId: z.string(), to: z.string(), subject: z.string() })),
});

export const customerSagasBody = z.looseObject({
  customerId: z.string(),
  pseudonym: z.string().nullable(),
  query: z.string().nullable(),
  sagas: z.array(z.looseObject({ workflowId: z.string(), status: z.string() })),
});
export const erasureBody = z.looseObject({ customerId: z.string(), erased: z.boolean(), erasedAt: instant.nullable() });

/** An event as the log holds it, its personal data opened (or [erased]) as every route shows it. */
const loggedEvent = z.looseObject({
  streamId: z.string(),
  streamType: z.string(),
  version: z.number().int(),
  position: z.number().int(),
  type: z.string(),
  data: z.looseObject({}),
  metadata: z.looseObject({ eventId: z.string(), timestamp: instant, correlationId: z.string() }),
});
export const streamEventsBody = z.looseObject({
  streamId: z.string(),
  streamType: z.string(),
  version: z.number().int().meta({ description: "The stream's current version" }),
  events: z.array(loggedEvent),
  nextVersion: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'Pass as fromVersion for the next page; null on the last page' }),
});
const foldedAt = z.looseObject({
  version: z.number().int(),
  position: z.number().int().nullable(),
  timestamp: instant.nullable(),
  state: z.looseObject({}),
});
export const streamStateBody = z.looseObject({
  streamId: z.string(),
  streamType: z.string(),
  then: foldedAt,
  now: foldedAt,
  changes: z
    .array(z.looseObject({ path: z.string(), then: z.unknown(), now: z.unknown() }))
    .meta({ description: 'Every field that differs between then and now (dotted path; absent as null)' }),
});
export const orderEventsBody = z.looseObject({
  orderId: z.string(),
  streams: z.array(z.string()),
  events: z.array(loggedEvent),
});
