import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { AccountService, AccountView } from '../../domain/accounts';
import { accountParams, ifMatchHeader, movementSchema, openAccountSchema, pointInTime } from '../contract';
import { domainErrorToHttp } from '../domain-errors';
import { ownCustomer } from '../auth';
import { HttpError, notFound } from '../errors';
import { idFromSeed, type Answer, type Idempotency } from '../idempotency';
import { parse } from '../validate';
import { policedRouter, type PoliceDeps } from '../policed-router';
import type { PersonalData } from '../../infra/personal-data';

/** The account's version as an entity tag; If-Match carries it back to pin a command to that version. */
const etag = (version: number) => `"${version}"`;

export function accountRoutes(deps: {
  police: PoliceDeps;
  accounts: AccountService;
  idempotency: Idempotency;
  personalData: PersonalData;
}): Router {
  const { accounts } = deps;
  const router = policedRouter(deps.police);

  router.post('/accounts', async (req, res) => {
    const body = parse(openAccountSchema, req.body, 'body');
    const own = ownCustomer(res);
    // A client opens accounts for itself only (the policy refused any other customerId), empty:
    // money enters through operators' deposits.
    if (own !== undefined && (body.initialDeposit ?? 0) > 0)
      throw new HttpError(403, 'forbidden', 'A client opens its accounts with no initial deposit');
    const customerId = body.customerId ?? own;
    await deps.idempotency.run(
      req,
      res,
      'accounts.open',
      body,
      async (seed) => {
        const accountId = seed ? idFromSeed(seed) : randomUUID();
        // The holder's name is personal data: sealed with the customer's key (or, for an account no
        // customer holds, a key of the account's own), so erasing the customer erases it everywhere.
        // One key lookup for both, so an erasure racing the opening erases all of it or none of it.
        const sealer = await deps.personalData.sealerFor(customerId ?? `account:${accountId}`);
        const owner = sealer.seal(body.owner);
        // The holder's id is personal data too: recorded sealed, with its pseudonym beside it.
        const holder = customerId !== undefined ? sealer.customer() : undefined;
        const view = await mapErrors({}, () =>
          accounts.openAccount({
            accountId,
            ...(seed && { eventId: `api-open-${seed}` }),
            owner,
            ...holder,
            initialDeposit: body.initialDeposit,
            metadata: requestMetadata(req),
          }),
        );
        return {
          status: 201,
          headers: { Location: `/accounts/${view.accountId}`, ETag: etag(view.version) },
          // Stored sealed with the idempotency key's answer, opened as it is sent.
          body: {
            accountId: view.accountId,
            customerId: view.customerId,
            owner: view.owner,
            balance: view.balance,
            version: view.version,
            position: view.position,
          },
        };
      },
      (answer) => deps.personalData.openDeep(answer),
    );
  });

  for (const [path, operation] of [
    ['deposits', 'deposit'],
    ['withdrawals', 'withdraw'],
  ] as const) {
    router.post(`/accounts/:id/${path}`, async (req, res) => {
      const { id } = parse(accountParams, req.params, 'params');
      const expectedVersion = pinnedVersion(req);
      const { amount } = parse(movementSchema, req.body, 'body');
      // The account and the pinned version are part of the request a key stands for.
      await deps.idempotency.run(
        req,
        res,
        `accounts.${operation}`,
        { accountId: id, amount, expectedVersion },
        async (seed) => {
          const view = await mapErrors({ preconditionGiven: expectedVersion !== undefined }, () =>
            accounts[operation]({
              accountId: id,
              amount,
              expectedVersion,
              ...(seed && { eventId: `api-${operation}-${seed}` }),
              metadata: requestMetadata(req),
            }),
          );
          return commandAnswer(view);
        },
      );
    });
  }

  router.get('/accounts/:id', async (req, res) => {
    const { id } = parse(accountParams, req.params, 'params');
    const at = parse(pointInTime, req.query, 'query');
    const view = await accounts.getAccount(id, {
      asOf: at.asOf === undefined ? undefined : new Date(at.asOf),
      version: at.version,
    });
    if (!view) {
      const when = `${at.version ? ` at version ${at.version}` : ''}${at.asOf ? ` as of ${at.asOf}` : ''}`;
      throw notFound(`Account ${id}${when}`);
    }
    res.set('ETag', etag(view.version)).json({
      accountId: view.accountId,
      customerId: await deps.personalData.openOrNull(view.customerId),
      owner: await deps.personalData.open(view.owner),
      balance: view.balance,
      version: view.version,
      openedAt: view.openedAt,
      updatedAt: view.updatedAt,
    });
  });

  router.get('/accounts/:id/events', async (req, res) => {
    const { id } = parse(accountParams, req.params, 'params');
    const events = await accounts.history(id);
    if (events.length === 0) throw notFound(`Account ${id}`);
    res.set('ETag', etag(events.at(-1)!.version)).json({
      events: await Promise.all(
        events.map(async (e) => ({
          version: e.version,
          position: e.position,
          type: e.type,
          data: await deps.personalData.openDeep(e.data),
          metadata: e.metadata,
        })),
      ),
    });
  });

  return router;
}

function commandAnswer(view: AccountView): Answer {
  return {
    status: 200,
    headers: { ETag: etag(view.version) },
    body: { accountId: view.accountId, balance: view.balance, version: view.version, position: view.position },
  };
}

/** The version an If-Match pins the command to; `*` or no header means "whatever is current". */
function pinnedVersion(req: Request): number | undefined {
  const header = parse(ifMatchHeader, { 'if-match': req.header('if-match')?.trim() }, 'headers')['if-match'];
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
