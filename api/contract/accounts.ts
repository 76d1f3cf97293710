import { z } from 'zod';
import { MAX_AMOUNT } from '../../domain/accounts';
import { idempotencyHeader, NOT_BLANK, page } from './schemas';
import { EVENTUAL, operations } from './define';
import { accountBody, accountEventsBody, accountPageBody, movementAnswerBody } from './responses';

const amount = z
  .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
  .int('must be a whole number of cents')
  .positive('must be greater than 0')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} cents`);

export const openAccountSchema = z.strictObject({
  /** The holder: who may see and pay with the account. Clients may omit it (themselves). */
  customerId: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_.:@-]+$/, 'ids are letters, digits and . : @ _ -')
    .optional(),
  owner: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(200)
    .meta(NOT_BLANK),
  initialDeposit: z
    .number({ error: 'must be a number' })
    .int('must be a whole number of cents')
    .min(0, 'must not be negative')
    .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} cents`)
    .optional(),
});

export const movementSchema = z.strictObject({ amount });

export const accountParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 letters, digits or _ . : -'),
});

export const pointInTime = z.strictObject({
  asOf: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone, e.g. 2024-05-01T12:00:00Z' })
    .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a real date')
    .optional()
    .meta({ description: 'The account as it was at this instant' }),
  version: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be a positive integer')
    .transform(Number)
    .optional()
    .meta({ description: 'The account at this version; with asOf, only if it had reached it by then (else 404)' }),
});

export const ifMatchHeader = z.object({
  'if-match': z
    .string()
    // Entity tags are quoted (RFC 9110); a bare version is taken too, it cannot mean anything else.
    .regex(/^(\*|"\d{1,15}"|\d{1,15})$/, 'must be the ETag of the account version, e.g. "3"')
    .optional()
    .meta({
      description: 'The ETag of the account version the command is for ("3"; the quotes may be left out), or * for any',
    }),
});

export const accountsQuery = z.strictObject({ ...page });

const movement = (verb: string) => ({
  summary: `${verb} (If-Match pins the version)`,
  access: { why: verb === 'Deposit' ? 'moving money in is an operator act' : 'clients pay through orders only' },
  params: accountParams,
  headers: ifMatchHeader.extend(idempotencyHeader.shape),
  body: movementSchema,
  responses: {
    '200': { description: 'New balance and position', body: movementAnswerBody },
    '404': 'Unknown account',
    '409': 'Idempotency-Key in use',
    '412': 'Stale If-Match',
    '422': 'Insufficient funds, or Idempotency-Key reused with another body',
  },
});

export const accountOperations = operations({
  'POST /accounts': {
    summary: 'Open an account (event-sourced) held by customerId',
    access: { client: 'own-body', why: 'for itself, with no initial deposit (a client cannot create money)' },
    headers: idempotencyHeader,
    body: openAccountSchema,
    responses: {
      '201': { description: 'Opened', body: accountBody },
      '403': 'A client opening for another customer or with a deposit',
      '409': 'Idempotency-Key in use',
      '422': 'Idempotency-Key reused with another body',
    },
  },
  'GET /accounts': {
    summary: `List accounts with balances. ${EVENTUAL}`,
    access: { client: 'own-list' },
    query: accountsQuery,
    readModel: true,
    responses: { '200': { description: 'A page of accounts', body: accountPageBody } },
  },
  'GET /accounts/:id': {
    summary: 'The account now, asOf a time or at a version (replayed from its events; strongly consistent)',
    access: { client: 'own-account' },
    params: accountParams,
    query: pointInTime,
    responses: { '200': { description: 'The account', body: accountBody }, '404': 'Unknown account' },
  },
  'GET /accounts/:id/events': {
    summary: 'Audit trail: every event with its metadata',
    access: { client: 'own-account' },
    params: accountParams,
    responses: { '200': { description: 'Events', body: accountEventsBody }, '404': 'Unknown account' },
  },
  'POST /accounts/:id/deposits': movement('Deposit'),
  'POST /accounts/:id/withdrawals': movement('Withdraw'),
});
