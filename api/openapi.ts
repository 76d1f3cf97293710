import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { CONTRACT, consistencyQuery, errorBody, openApiPath, type Operation } from './contract';
import { describeAccess } from './access-policy';

const errorContent = { 'application/json': { schema: errorBody } };

/** The answers every operation of a kind can give, added to what the contract names. */
function responsesOf(operation: Operation, path: string, authRequired: boolean): ZodOpenApiResponsesObject {
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [code, spec] of Object.entries(operation.responses)) {
    if (typeof spec !== 'string')
      responses[code] = { description: spec.description, content: { 'application/json': { schema: spec.body } } };
    else responses[code] = code.startsWith('2') ? { description: spec } : { description: spec, content: errorContent };
  }
  const add = (code: string, description: string) => (responses[code] ??= { description, content: errorContent });
  // Anything the route validates can be refused, naming the field.
  if (operation.params || operation.query || operation.headers || operation.body || operation.readModel)
    add('400', 'Malformed input (names the field)');
  if (operation.readModel) {
    for (const [code, response] of Object.entries(responses))
      if (code.startsWith('2'))
        response.headers = {
          'X-Read-Model-Position': {
            description:
              'A global position up to which the answer shows every event of what it answers: for a list or an aggregate, how far the read model has applied the log (its checkpoint); for one order (GET /orders/{orderId}), how far that order is known to be applied (its own document’s position, or the checkpoint when that is higher), which says nothing of other orders',
            schema: { type: 'integer', minimum: 0 },
          },
        };
    const beyondHead = 'minPosition is beyond the head of the event log (unknown_position)';
    if (responses['422']) responses['422'].description += `; or ${beyondHead}`;
    else add('422', beyondHead);
    add('504', 'The read model has not reached minPosition within waitMs');
    responses['503'] ??= {
      description:
        'The read model is stalled short of minPosition (read_model_stalled): answered at once, retry after Retry-After seconds',
      headers: {
        'Retry-After': { description: 'Seconds to wait before asking again', schema: { type: 'integer', minimum: 1 } },
      },
      content: errorContent,
    };
  }
  if (authRequired && !operation.access.public) {
    add('401', 'No valid API key');
    add('403', 'The key may not do this');
  }
  // The rate limit (RATE_LIMIT_PER_MINUTE; 600 a minute per address by default in production) covers every operation.
  add('429', 'Too many requests from this address; retry later');
  return responses;
}

function operationObject(operation: Operation, path: string, authRequired: boolean): ZodOpenApiOperationObject {
  const query = operation.readModel
    ? (operation.query ?? z.object({})).extend(consistencyQuery.shape)
    : operation.query;
  return {
    summary: operation.summary,
    description: `Who may call it: ${describeAccess(operation.access)}.`,
    'x-access': describeAccess(operation.access),
    ...(operation.access.public || !authRequired ? { security: [] } : {}),
    requestParams: {
      ...(operation.params && { path: operation.params }),
      ...(query && { query }),
      ...(operation.headers && { header: operation.headers }),
    },
    ...(operation.body && {
      requestBody: { required: !operation.bodyOptional, content: { 'application/json': { schema: operation.body } } },
    }),
    responses: responsesOf(operation, path, authRequired),
  };
}

/**
 * The API described for people and tools (schemathesis fuzzes it), generated from the contract
 * (api/contract/): the same zod schemas the routes validate with, and the same access rules the
 * policed router enforces.
 */
export function openApiDocument(options: { authRequired: boolean } = { authRequired: true }): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const [route, operation] of Object.entries(CONTRACT) as Array<[string, Operation]>) {
    const [method, expressPath] = route.split(' ') as [string, string];
    const path = openApiPath(expressPath);
    paths[path] = { ...paths[path], [method.toLowerCase()]: operationObject(operation, path, options.authRequired) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Temporal Order Platform API',
      version: '1.0.0',
      description:
        'Order saga on Temporal with event-sourced accounts and CQRS read models. Amounts are integers in cents. Errors: { error: { code, message, details } }. ' +
        'In production every endpoint but /health, /health/ready and /health/read-side needs an API key (Authorization: Bearer <key>).',
    },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    // The document says what this server does: without authentication (development), no key.
    security: options.authRequired ? [{ apiKey: [] }] : [],
    paths,
  }) as unknown as Record<string, unknown>;
}
