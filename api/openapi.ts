import { z } from 'zod';
import { FAULTABLE_SERVICES } from '../infra/faults';
import { projections } from '../projections/read-side';
import { movementSchema, openAccountSchema } from './routes/accounts';
import { faultSchema } from './routes/faults';
import { restockSchema } from './routes/inventory';
import { placeOrderSchema, rejectBody } from './routes/orders';
import { CURSOR_PATTERN } from './routes/read-models';
import { shippingAddressSchema } from '../domain/orders';
import { ORDER_STATUSES } from '../domain/orders';
import { ACCESS_POLICY, describeAccess, openApiPath, type Access } from './access-policy';

type Schema = Record<string, unknown>;
const json = (schema: z.ZodType): Schema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Schema;

const error = { $ref: '#/components/schemas/Error' };
const idParam = (name: string, pattern = '^[\\w.:@-]{1,100}$') => ({ name, in: 'path', required: true, schema: { type: 'string', pattern } });
const query = (name: string, schema: Schema, description?: string) => ({ name, in: 'query', required: false, schema, ...(description && { description }) });
const consistency = [
  query('minPosition', { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, 'Wait until the read model has applied this global position (from a command answer)'),
  query('waitMs', { type: 'integer', minimum: 0, maximum: 30000 }, 'How long to wait for minPosition before answering 504'),
];
const page = [query('limit', { type: 'integer', minimum: 1, maximum: 200 }), query('cursor', { type: 'string', pattern: CURSOR_PATTERN.source }, 'Where the previous page ended: its nextCursor, <epoch milliseconds>.<id>')];
const statuses = [...ORDER_STATUSES];

function op(summary: string, responses: Record<string, string>, extra: Schema = {}): Schema {
  return {
    summary,
    ...extra,
    responses: Object.fromEntries(
      Object.entries(responses).map(([code, description]) => [code, code.startsWith('2') ? { description } : { description, content: { 'application/json': { schema: error } } }]),
    ),
  };
}
const body = (schema: z.ZodType) => ({ requestBody: { required: true, content: { 'application/json': { schema: json(schema) } } } });
const bad = { '400': 'Malformed input (names the field)' };
const eventual = 'Eventually consistent: served by a read model; pass minPosition to read your own write.';

const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' }, description: 'Makes the command safe to retry: the same key and body replay the first answer; another body is a 422; a duplicate while the first still runs is a 409 (retry)' };

/**
 * Each operation's security and who may call it, from ACCESS_POLICY (the one declaration the
 * API enforces): public operations need no key; the others say which callers pass.
 */
function withAccess(paths: Record<string, Record<string, Schema>>, authRequired: boolean): Record<string, Record<string, Schema>> {
  for (const [route, access] of Object.entries(ACCESS_POLICY as Record<string, Access>)) {
    const [method, path] = route.split(' ') as [string, string];
    const operation = paths[openApiPath(path)]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${route} is in ACCESS_POLICY but not in the OpenAPI document`);
    operation['x-access'] = describeAccess(access);
    operation.description = `Who may call it: ${describeAccess(access)}.`;
    if (access.public || !authRequired) operation.security = [];
    const responses = operation.responses as Record<string, Schema>;
    if (authRequired && !access.public) {
      responses['401'] ??= { description: 'No valid API key', content: { 'application/json': { schema: error } } };
      responses['403'] ??= { description: 'The key may not do this', content: { 'application/json': { schema: error } } };
    }
    // The rate limit (RATE_LIMIT_PER_MINUTE; 600 a minute per address by default in production) covers every operation.
    responses['429'] ??= { description: 'Too many requests from this address; retry later', content: { 'application/json': { schema: error } } };
    // Every operation that takes a path parameter validates it: a malformed one is a 400.
    if (path.includes(':')) responses['400'] ??= { description: 'Malformed input (names the field)', content: { 'application/json': { schema: error } } };
    // Every read-your-writes wait refuses a position the log has never reached.
    if ((operation.parameters as Array<{ name?: string }> | undefined)?.some((p) => p.name === 'minPosition')) {
      responses['422'] ??= { description: 'minPosition is beyond the head of the event log', content: { 'application/json': { schema: error } } };
    }
  }
  return paths;
}

/** The API described for people and tools (schemathesis fuzzes it); request bodies come from the same zod schemas the routes validate with. */
export function openApiDocument(options: { authRequired: boolean } = { authRequired: true }): Schema {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Temporal Order Platform API',
      version: '1.0.0',
      description:
        'Order saga on Temporal with event-sourced accounts and CQRS read models. Amounts are integers in cents. Errors: { error: { code, message, details } }. ' +
        'In production every endpoint but /health needs an API key (Authorization: Bearer <key>).',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
        },
      },
    },
    // The document says what this server does: without authentication (development), no key.
    security: options.authRequired ? [{ apiKey: [] }] : [],
    paths: withAccess({
      '/health': { get: op('Temporal and MongoDB reachability', { '200': 'Both up', '503': 'One is down (named)' }) },
      '/health/ready': { get: op('Readiness: /health plus every projection not stalled', { '200': 'Ready', '503': 'Not ready: names what is down or stalled' }) },
      '/metrics': { get: op('Prometheus metrics', { '200': 'Metrics in text format' }) },
      '/openapi.json': { get: op('This document', { '200': 'OpenAPI 3.0' }) },
      '/orders': {
        post: op('Place an order: starts the saga order-<orderId> and, in the same call, asks it (the `placed` Update) what it decided', { '202': 'Saga started. The body is what the saga decided in its first step: { orderId, workflowId, status, total, items (with unitPrice), requiresApproval }; total is null if the saga stopped before pricing', ...bad, '403': 'A client naming another customer', '409': 'A request with this Idempotency-Key is still running', '422': 'Unknown SKU, an account the caller cannot pay with, or Idempotency-Key reused with another body' }, {
          ...body(placeOrderSchema),
          parameters: [idempotencyKey],
        }),
        get: op(`List orders. ${eventual}`, { '200': 'A page of orders', ...bad, '504': 'Read model behind minPosition' }, {
          parameters: [query('status', { type: 'string', enum: statuses }), query('customerId', { type: 'string', pattern: '^[\\w.:@-]{1,100}$' }), ...page, ...consistency],
        }),
      },
      '/orders/{orderId}': { get: op(`One order. ${eventual}`, { '200': 'The order', ...bad, '404': 'Unknown order', '504': 'Read model behind' }, { parameters: [idParam('orderId'), ...consistency] }) },
      '/orders/{orderId}/saga': { get: op('The live saga state (Temporal query; strongly consistent)', { '200': 'Saga status', ...bad, '404': 'Unknown order' }, { parameters: [idParam('orderId')] }) },
      '/orders/{orderId}/approve': { post: op('Approve an order awaiting approval (signal)', { '202': 'Accepted', '404': 'Unknown order', '409': 'Not awaiting approval' }, { parameters: [idParam('orderId')] }) },
      '/orders/{orderId}/reject': { post: op('Reject an order awaiting approval (signal)', { '202': 'Accepted', ...bad, '404': 'Unknown order', '409': 'Not awaiting approval' }, { parameters: [idParam('orderId')], requestBody: { required: false, content: { 'application/json': { schema: json(rejectBody) } } } }) },
      '/orders/{orderId}/cancel': { post: op('Cancel a running saga (Temporal update): it compensates what was done. Refused past the point of no return (completeOrder started)', { '202': 'Accepted', ...bad, '404': 'Unknown order', '409': 'Completing, already cancelling, or finished' }, { parameters: [idParam('orderId')], ...body(rejectBody) }) },
      '/orders/{orderId}/shipping-address': { put: op('Change the address until the shipment is scheduled (Temporal update)', { '202': 'Accepted', ...bad, '404': 'Unknown order', '409': 'Too late' }, { parameters: [idParam('orderId')], ...body(shippingAddressSchema) }) },
      '/customers/{customerId}/orders': { get: op(`A customer's order history. ${eventual}`, { '200': 'A page of orders', ...bad, '404': 'Not visible to this client' }, { parameters: [idParam('customerId'), query('status', { type: 'string', enum: statuses }), ...page, ...consistency] }) },
      '/accounts': {
        post: op('Open an account (event-sourced) held by customerId', { '201': 'Opened', ...bad, '403': 'A client opening for another customer or with a deposit', '409': 'Idempotency-Key in use', '422': 'Idempotency-Key reused with another body' }, { ...body(openAccountSchema), parameters: [idempotencyKey] }),
        get: op(`List accounts with balances. ${eventual}`, { '200': 'A page of accounts', ...bad, '504': 'Read model behind' }, { parameters: [...page, ...consistency] }),
      },
      '/accounts/{id}': {
        get: op('The account now, asOf a time or at a version (replayed from its events; strongly consistent)', { '200': 'The account', ...bad, '404': 'Unknown account' }, {
          parameters: [idParam('id', '^[A-Za-z0-9_.:-]{1,100}$'), query('asOf', { type: 'string', format: 'date-time' }, 'The account as it was at this instant'), query('version', { type: 'string', pattern: '^[1-9][0-9]{0,14}$' }, 'The account at this version; with asOf, only if it had reached it by then (else 404)')],
        }),
      },
      '/accounts/{id}/events': { get: op('Audit trail: every event with its metadata', { '200': 'Events', ...bad, '404': 'Unknown account' }, { parameters: [idParam('id', '^[A-Za-z0-9_.:-]{1,100}$')] }) },
      ...Object.fromEntries(
        ['deposits', 'withdrawals'].map((kind) => [
          `/accounts/{id}/${kind}`,
          {
            post: op(`${kind === 'deposits' ? 'Deposit' : 'Withdraw'} (If-Match pins the version)`, { '200': 'New balance and position', ...bad, '404': 'Unknown account', '409': 'Idempotency-Key in use', '412': 'Stale If-Match', '422': 'Insufficient funds, or Idempotency-Key reused with another body' }, {
              parameters: [idParam('id', '^[A-Za-z0-9_.:-]{1,100}$'), { name: 'If-Match', in: 'header', required: false, schema: { type: 'string', pattern: '^(\\*|"[0-9]{1,15}"|[0-9]{1,15})$' }, description: 'The ETag of the account version the command is for ("3"; the quotes may be left out), or * for any' }, idempotencyKey],
              ...body(movementSchema),
            }),
          },
        ]),
      ),
      '/inventory': {
        post: op('Restock a SKU and set its catalog price', { '200': 'Stock level and position', ...bad, '409': 'Idempotency-Key in use', '422': 'Idempotency-Key reused with another body' }, { ...body(restockSchema), parameters: [idempotencyKey] }),
        get: op(`Inventory levels. ${eventual}`, { '200': 'Levels', ...bad, '504': 'Read model behind' }, { parameters: consistency }),
      },
      '/inventory/{sku}': { get: op('Stock of one SKU (the Inventory service; strongly consistent)', { '200': 'Level', ...bad, '404': 'Unknown SKU' }, { parameters: [idParam('sku', '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')] }) },
      '/analytics/sales': {
        get: op(`Sales per day or per SKU. ${eventual}`, { '200': 'Rows', ...bad, '504': 'Read model behind' }, {
          parameters: [query('from', { type: 'string', format: 'date' }), query('to', { type: 'string', format: 'date' }), query('groupBy', { type: 'string', enum: ['day', 'sku'] }), ...consistency],
        }),
      },
      '/projections': { get: op('Each projection: position, head of the log, lag in events and ms', { '200': 'Projections' }) },
      '/projections/{name}/rebuild': { post: op('Rebuild a read model into a fresh generation, swapped in when caught up', { '202': 'Started', '404': 'Unknown projection', '409': 'Already rebuilding' }, { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', enum: projections.map((p) => p.name) } }] }) },
      '/dead-letters': {
        get: op('Dead letters of the saga and the projections', { '200': 'Dead letters', ...bad }, {
          parameters: [query('source', { type: 'string', enum: ['saga', 'projection', 'notification'] }), query('status', { type: 'string', enum: ['open', 'redrive-requested', 'discard-requested', 'redriven', 'discarded'] }), query('orderId', { type: 'string', minLength: 1, maxLength: 100 }), query('limit', { type: 'integer', minimum: 1, maximum: 500 })],
        }),
      },
      '/dead-letters/{id}': {
        get: op('One dead letter', { '200': 'The dead letter', '404': 'Unknown' }, { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 500 } }] }),
        delete: op('Discard (recorded in the audit log)', { '202': 'Discarded or discard requested', '404': 'Unknown', '409': 'Not open' }, { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 500 } }] }),
      },
      '/dead-letters/{id}/redrive': { post: op('Apply again, then release what waited behind it', { '202': 'Redrive requested', '404': 'Unknown', '409': 'Not open or not redrivable' }, { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 500 } }] }) },
      '/emails': { get: op('Emails the Email service sent', { '200': 'Emails', ...bad }, { parameters: [query('orderId', { type: 'string', minLength: 1, maxLength: 100 }), query('limit', { type: 'integer', minimum: 1, maximum: 500 })] }) },
      '/faults': { get: op('Injected faults (refused in production)', { '200': 'Faults', '403': 'Production mode' }) },
      '/faults/{service}': {
        // The body is optional: without one the service fails every call (mode "error").
        put: op('Make a service fail on purpose (refused in production)', { '200': 'Injected', ...bad, '403': 'Production mode' }, { parameters: [{ name: 'service', in: 'path', required: true, schema: { type: 'string', enum: [...FAULTABLE_SERVICES] } }], requestBody: { required: false, content: { 'application/json': { schema: json(faultSchema) } } } }),
        delete: op('Clear a fault', { '204': 'Cleared', '404': 'No such fault', '403': 'Production mode' }, { parameters: [{ name: 'service', in: 'path', required: true, schema: { type: 'string', enum: [...FAULTABLE_SERVICES] } }] }),
      },
      ...Object.fromEntries(
        ['encode', 'decode'].map((action) => [
          `/codec/${action}`,
          {
            post: op(`Temporal remote codec: ${action} payloads (operators)`, { '200': 'Payloads', ...bad, '404': 'Encryption off', '422': 'Cannot decode' }, {
              requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['payloads'], properties: { payloads: { type: 'array', items: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } }, data: { type: 'string', format: 'byte' } } } } } } } } },
            }),
          },
        ]),
      ),
    }, options.authRequired),
  };
}
