import { z } from 'zod';
import { FAULTABLE_SERVICES } from '../../infra/faults';
import { BREAKER_SERVICES, BREAKER_STATUSES } from '../../domain/breakers';
import { projections } from '../../readside';
import { operations, operators } from './define';
import {
  deadLetterBody,
  deadLettersBody,
  emailsBody,
  healthBody,
  projectionsBody,
  readinessBody,
  readSideBody,
} from './responses';

export const projectionParams = z.object({
  name: z
    .string()
    .min(1)
    .max(50)
    .meta({ description: `One of: ${projections.map((p) => p.name).join(', ')}` }),
});

export const deadLetterQuery = z.strictObject({
  source: z.enum(['saga', 'projection', 'notification']).optional(),
  status: z.enum(['open', 'redrive-requested', 'discard-requested', 'redriven', 'discarded']).optional(),
  orderId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const deadLetterParams = z.object({ id: z.string().min(1).max(500) });

export const emailQuery = z.strictObject({
  orderId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const breakerParams = z.object({ service: z.enum(BREAKER_SERVICES) });
export const breakerCommand = z.strictObject({
  state: z.enum(['open', 'closed']),
  reason: z.string().trim().min(1).max(500).meta({ description: 'Why, for the transition event and the audit log' }),
});
const breakerBody = z.looseObject({
  service: z.enum(BREAKER_SERVICES),
  status: z.enum(BREAKER_STATUSES),
  since: z.string().nullable(),
  by: z.enum(['failures', 'probe', 'operator']).nullable(),
  reason: z.string().nullable(),
  probeAt: z.string().nullable().meta({ description: 'When an open breaker probes next (null: opened by hand)' }),
  transitions: z.number().int(),
});
const breakersBody = z.looseObject({ breakers: z.array(breakerBody) });
const breakerChangeBody = z.looseObject({ changed: z.boolean(), breaker: breakerBody });

export const faultParams = z.object({ service: z.enum(FAULTABLE_SERVICES) });
export const faultSchema = z.strictObject({
  mode: z.enum(['error', 'hang-after-effect', 'crash-after-resolve']).default('error'),
  failures: z.number().int().positive().max(1_000_000).optional(),
  durationMs: z
    .number()
    .int()
    .positive()
    .max(24 * 3_600_000)
    .optional(),
  hangMs: z.number().int().positive().max(600_000).optional(),
  streamId: z.string().min(1).max(200).optional(),
  collection: z.string().min(1).max(100).optional().meta({
    description: "Projections: only writes to this read-model collection fail (its logical name, e.g. 'orders')",
  }),
  flap: z
    .strictObject({
      failingMs: z.number().int().positive().max(3_600_000),
      workingMs: z.number().int().positive().max(3_600_000),
    })
    .optional()
    .meta({ description: 'Fail for failingMs, work for workingMs, and again' }),
});

const base64 = z
  .string()
  .max(4_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
export const codecBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(1_000),
});

const codec = (action: 'encode' | 'decode') => ({
  summary: `Temporal remote codec: ${action} payloads (operators)`,
  access: operators,
  body: codecBody,
  responses: { '200': 'Payloads', '404': 'Encryption off', '422': 'Cannot decode' },
});

/** Health, metrics, the document itself, and what operators run the platform with. */
export const operationsOperations = operations({
  'GET /health': {
    summary: 'Temporal and MongoDB reachability',
    access: { public: true, why: 'load balancers and orchestrators probe it' },
    responses: {
      '200': { description: 'Both up', body: healthBody },
      '503': { description: 'One is down (named in errors)', body: healthBody },
    },
  },
  'GET /health/ready': {
    summary:
      'Readiness of this API process: Temporal and MongoDB answer (a stalled projection does not count: see /health/read-side)',
    access: { public: true, why: 'load balancers decide where to send traffic with it' },
    responses: {
      '200': { description: 'Ready', body: readinessBody },
      '503': { description: 'Not ready: names the server that is down', body: readinessBody },
    },
  },
  'GET /health/read-side': {
    summary: 'The read models: every projection not stalled',
    access: { public: true, why: 'orchestrators decide where to send reads with it' },
    responses: {
      '200': { description: 'No projection is stalled', body: readSideBody },
      '503': { description: 'Names every stalled projection (or MongoDB down)', body: readSideBody },
    },
  },
  'GET /openapi.json': {
    summary: 'This document',
    access: { client: 'any', why: 'the contract is not a secret' },
    responses: { '200': 'OpenAPI 3.1' },
  },
  'GET /metrics': { summary: 'Prometheus metrics', access: operators, responses: { '200': 'Metrics in text format' } },

  'GET /projections': {
    summary: 'Each projection: state, position, head of the log, lag in events and ms, parked events, last progress',
    access: operators,
    responses: { '200': { description: 'Projections', body: projectionsBody } },
  },
  'POST /projections/:name/rebuild': {
    summary: 'Rebuild a read model into a fresh generation, swapped in when caught up',
    access: operators,
    params: projectionParams,
    responses: { '202': 'Started', '404': 'Unknown projection', '409': 'Already rebuilding' },
  },
  'GET /dead-letters': {
    summary: 'Dead letters of the saga, the projections and the notifications',
    access: operators,
    query: deadLetterQuery,
    responses: { '200': { description: 'Dead letters', body: deadLettersBody } },
  },
  'GET /dead-letters/:id': {
    summary: 'One dead letter',
    access: operators,
    params: deadLetterParams,
    responses: { '200': { description: 'The dead letter', body: deadLetterBody }, '404': 'Unknown' },
  },
  'POST /dead-letters/:id/redrive': {
    summary: 'Apply again, then release what waited behind it',
    access: operators,
    params: deadLetterParams,
    responses: { '202': 'Redrive requested', '404': 'Unknown', '409': 'Not open or not redrivable' },
  },
  'DELETE /dead-letters/:id': {
    summary: 'Discard (recorded in the audit log)',
    access: operators,
    params: deadLetterParams,
    responses: { '202': 'Discarded or discard requested', '404': 'Unknown', '409': 'Not open' },
  },
  'GET /emails': {
    summary: 'Emails the Email service sent',
    access: operators,
    query: emailQuery,
    responses: { '200': { description: 'Emails', body: emailsBody } },
  },
  'GET /breakers': {
    summary: "Each external service's circuit breaker: closed, open or half-open, since when, why",
    access: operators,
    responses: { '200': { description: 'Breakers', body: breakersBody } },
  },
  'PUT /breakers/:service': {
    summary: 'Open (until closed by hand) or close a circuit breaker (recorded in the audit log)',
    access: operators,
    params: breakerParams,
    body: breakerCommand,
    responses: { '200': { description: 'The breaker now, and whether it changed', body: breakerChangeBody } },
  },
  'GET /faults': {
    summary: 'Injected faults (refused in production)',
    access: operators,
    responses: { '200': 'Faults', '403': 'Production mode' },
  },
  // The body is optional: without one the service fails every call (mode "error").
  'PUT /faults/:service': {
    summary: 'Make a service fail on purpose (refused in production)',
    access: operators,
    params: faultParams,
    body: faultSchema,
    bodyOptional: true,
    responses: {
      '200': 'Injected',
      '403': 'Production mode',
      '422': 'A collection fault that does not apply to this service',
    },
  },
  'DELETE /faults/:service': {
    summary: 'Clear a fault',
    access: operators,
    params: faultParams,
    responses: { '204': 'Cleared', '404': 'No such fault', '403': 'Production mode' },
  },
  'POST /codec/encode': codec('encode'),
  'POST /codec/decode': codec('decode'),
});
