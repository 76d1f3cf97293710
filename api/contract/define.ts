import type { z } from 'zod';

/**
 * What a client key may do on an operation (operators may call everything):
 *
 * - `any`: any authenticated caller.
 * - `own-order`: the `:orderId` must be an order of the client's customer (otherwise 404, as if it
 *   did not exist).
 * - `own-account`: the `:id` must be an account the client's customer holds (otherwise 404).
 * - `own-customer`: the `:customerId` must be the client's own (otherwise 404).
 * - `own-body`: the body may only name the client's own customer (`customerId`, otherwise 403);
 *   the route's handler applies the rest (its own list, the accounts it may pay with).
 * - `own-list`: a listing, which the handler narrows to the client's own customer.
 * - `own-stream`: the `:streamId` must be a stream of one of the client's orders (order-, payment-,
 *   reservation-, shipment-<orderId>) or accounts (account-<id>); any other stream 404, as if it
 *   did not exist.
 */
export type ClientRule = 'any' | 'own-order' | 'own-account' | 'own-customer' | 'own-body' | 'own-list' | 'own-stream';

export interface Access {
  /** No key needed (only the health checks). */
  public?: true;
  /** What a client key may do here; absent means operators only. */
  client?: ClientRule;
  /** One line for the docs and the OpenAPI document. */
  why?: string;
}

export const operators: Access = {};

/** Said of every operation served by a read model. */
export const EVENTUAL = 'Eventually consistent: served by a read model; pass minPosition to read your own write.';

/**
 * Said of every query with a `from` and a `to`. The two are checked apart from the schema: JSON
 * Schema cannot relate one query parameter to another, so a pair the document allows is refused
 * as a rule (422), not as a malformed request (400).
 */
export const EMPTY_RANGE = 'from is after to (empty_range): the range can hold nothing';

/** A response: its description, and the schema of its JSON body where it has one beyond the error shape. */
export type ResponseSpec = string | { description: string; body: z.ZodType };

/**
 * One operation of the API, declared once: the route validates its request with these schemas,
 * the policed router enforces `access`, and the OpenAPI document is generated from all of it.
 */
export interface Operation {
  summary: string;
  access: Access;
  /** Path parameters, named as in the Express path. */
  params?: z.ZodObject;
  /** The operation's own query parameters (a read model's consistency parameters are added by `readModel`). */
  query?: z.ZodObject;
  /** Request headers the operation reads. */
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** The body may be left out (the route then validates `{}`). */
  bodyOptional?: true;
  /** Served by a read model: takes minPosition/waitMs and may answer 504, 503 when the read model is stalled (and 422 for an unknown position). */
  readModel?: true;
  responses: Record<string, ResponseSpec>;
}

/** Keeps each table's literal keys while checking every entry is an Operation. */
export const operations = <T extends Record<string, Operation>>(table: T): T => table;

/** `/orders/:orderId` -> `/orders/{orderId}` */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');
