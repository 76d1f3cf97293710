import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { createAccountService, MAX_AMOUNT, type AccountView } from '../../domain/accounts';
import { createEventStore } from '../../eventstore';
import { domainErrorToHttp } from '../domain-errors';
import { ownCustomer } from '../auth';
import { HttpError, notFound } from '../errors';
import { idFromSeed, type Answer, type Idempotency } from '../idempotency';
import { parse } from '../validate';
import { policedRouter, type PoliceDeps } from '../policed-router';

const amount = z
  .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
  .int('must be a whole number of cents')
  .positive('must be greater than 0')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} cents`);

export const openAccountSchema = z.strictObject({
  /** The holder: who may see and pay with the account. Clients may omit it (themselves). */
  customerId: z.string().trim().min(1).max(100).regex(/^[\w.:@-]+$/, 'ids are letters, digits and . : @ _ -').optional(),
  owner: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).trim().min(1, 'must not be empty').max(200),
  initialDeposit: z
    .number({ error: 'must be a number' })
    .int('must be a whole number of cents')
    .min(0, 'must not be negative')
    .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} cents`)
    .optional(),
});

export const movementSchema = z.strictObject({ amount });

const params = z.object({ id: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 letters, digits or _ . : -') });

const pointInTime = z
  .strictObject({
    asOf: z.iso
      .datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone, e.g. 2024-05-01T12:00:00Z' })
      .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a real date')
      .optional(),
    version: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'must be a positive integer')
      .transform(Number)
      .optional(),
  });

const ifMatch = z.object({
  'if-match': z
    .string()
    // Entity tags are quoted (RFC 9110); a bare version is taken too, it cannot mean anything else.
    .regex(/^(\*|"\d{1,15}"|\d{1,15})$/, 'must be the ETag of the account version, e.g. "3"')
    .optional(),
});

/** The account's version as an entity tag; If-Match carries it back to pin a command to that version. */
const etag = (version: number) => `"${version}"`;

export function accountRoutes(deps: { police: PoliceDeps; db: Db; idempotency: Idempotency }): Router {
  const accounts = createAccountService({ store: createEventStore(deps.db) });
  const router = policedRouter(deps.police);

  router.post('/accounts', async (req, res) => {
    const body = parse(openAccountSchema, req.body, 'body');
    const own = ownCustomer(res);
    // A client opens accounts for itself only (the policy refused any other customerId), empty:
    // money enters through operators' deposits.
    if (own !== undefined && (body.initialDeposit ?? 0) > 0) throw new HttpError(403, 'forbidden', 'A client opens its accounts with no initial deposit');
    const customerId = body.customerId ?? own;
    await deps.idempotency.run(req, res, 'accounts.open', body, async (seed) => {
      const view = await mapErrors({}, () =>
        accounts.openAccount({
          ...(seed && { accountId: idFromSeed(seed), eventId: `api-open-${seed}` }),
          owner: body.owner,
          customerId,
          initialDeposit: body.initialDeposit,
          metadata: requestMetadata(req),
        }),
      );
      return {
        status: 201,
        headers: { Location: `/accounts/${view.accountId}`, ETag: etag(view.version) },
        body: { accountId: view.accountId, customerId: view.customerId, owner: view.owner, balance: view.balance, version: view.version, position: view.position },
      };
    });
  });

  for (const [path, operation] of [
    ['deposits', 'deposit'],
    ['withdrawals', 'withdraw'],
  ] as const) {
    router.post(`/accounts/:id/${path}`, async (req, res) => {
      const { id } = parse(params, req.params, 'params');
      const expectedVersion = pinnedVersion(req);
      const { amount } = parse(movementSchema, req.body, 'body');
      // The account and the pinned version are part of the request a key stands for.
      await deps.idempotency.run(req, res, `accounts.${operation}`, { accountId: id, amount, expectedVersion }, async (seed) => {
        const view = await mapErrors({ preconditionGiven: expectedVersion !== undefined }, () =>
          accounts[operation]({ accountId: id, amount, expectedVersion, ...(seed && { eventId: `api-${operation}-${seed}` }), metadata: requestMetadata(req) }),
        );
        return commandAnswer(view);
      });
    });
  }

  router.get('/accounts/:id', async (req, res) => {
    const { id } = parse(params, req.params, 'params');
    const at = parse(pointInTime, req.query, 'query');
    const view = await accounts.getAccount(id, { asOf: at.asOf === undefined ? undefined : new Date(at.asOf), version: at.version });
    if (!view) {
      const when = `${at.version ? ` at version ${at.version}` : ''}${at.asOf ? ` as of ${at.asOf}` : ''}`;
      throw notFound(`Account ${id}${when}`);
    }
    res.set('ETag', etag(view.version)).json({
      accountId: view.accountId,
      customerId: view.customerId,
      owner: view.owner,
      balance: view.balance,
      version: view.version,
      openedAt: view.openedAt,
      updatedAt: view.updatedAt,
    });
  });

  router.get('/accounts/:id/events', async (req, res) => {
    const { id } = parse(params, req.params, 'params');
    const events = await accounts.history(id);
    if (events.length === 0) throw notFound(`Account ${id}`);
    res.set('ETag', etag(events.at(-1)!.version)).json({
      events: events.map((e) => ({ version: e.version, position: e.position, type: e.type, data: e.data, metadata: e.metadata })),
    });
  });

  return router;
}

function commandAnswer(view: AccountView): Answer {
  return { status: 200, headers: { ETag: etag(view.version) }, body: { accountId: view.accountId, balance: view.balance, version: view.version, position: view.position } };
}

/** The version an If-Match pins the command to; `*` or no header means "whatever is current". */
function pinnedVersion(req: Request): number | undefined {
  const header = parse(ifMatch, { 'if-match': req.header('if-match')?.trim() }, 'headers')['if-match'];
  return header === undefined || header === '*' ? undefined : Number(header.replaceAll('"', ''));
}

async function mapErrors<T>(context: { preconditionGiven?: boolean }, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw domainErrorToHttp(err, context);
  }
}

function requestMetadata(req: Request) {
  const header = req.header('x-correlation-id');
  return { correlationId: header && /^[\w.:-]{1,100}$/.test(header) ? header : randomUUID(), causationId: null };
}
