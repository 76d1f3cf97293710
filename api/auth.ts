import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { authRequired, type Config } from '../config';
import { ACCESS_POLICY, type Access } from './access-policy';
import { HttpError } from './errors';

export interface Principal {
  role: 'operator' | 'client';
  /** Set for clients: the only customer whose orders and accounts they may use. */
  customerId?: string;
  /**
   * Names the key in logs, audit records and idempotency scopes without revealing it: `key-` and
   * the first 12 hex digits of its SHA-256. `anonymous` when authentication is off.
   */
  keyId: string;
  /** True when authentication is off (development): the caller acts as an operator. */
  anonymous: boolean;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
export const keyIdOf = (key: string) => `key-${digest(key).toString('hex').slice(0, 12)}`;

/** Routes that need no key, from the access policy (they take no path parameters). */
const PUBLIC = new Set(
  Object.entries(ACCESS_POLICY as Record<string, Access>)
    .filter(([, a]) => a.public)
    .map(([route]) => route),
);

/**
 * API keys with roles. In production (or with AUTH=on) every endpoint but the public ones needs
 * `Authorization: Bearer <key>` (or `X-API-Key`): 401 without a valid key. What each role may do
 * is decided per route from ACCESS_POLICY (api/policed-router.ts). Keys are compared as SHA-256
 * digests in constant time.
 */
export function authenticate(
  config: Config,
  denied: (req: Request, res: Response, route: string, reason: string) => void,
): RequestHandler {
  const keys = (config.API_KEYS ?? []).map((k) => ({ ...k, digest: digest(k.key), keyId: keyIdOf(k.key) }));
  const required = authRequired(config);
  return (req, res, next) => {
    if (!required || PUBLIC.has(`${req.method} ${req.path.replace(/\/$/, '') || '/'}`) || req.method === 'OPTIONS') {
      res.locals.principal = { role: 'operator', keyId: 'anonymous', anonymous: true } satisfies Principal;
      next();
      return;
    }
    const header = req.header('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.header('x-api-key');
    const match = presented ? keys.find((k) => timingSafeEqual(k.digest, digest(presented))) : undefined;
    if (!match) {
      denied(req, res, 'any', presented ? 'invalid-key' : 'no-key');
      res.setHeader('WWW-Authenticate', 'Bearer realm="orders"');
      next(new HttpError(401, 'unauthenticated', 'A valid API key is required (Authorization: Bearer <key>)'));
      return;
    }
    res.locals.principal = {
      role: match.role,
      customerId: match.customerId,
      keyId: match.keyId,
      anonymous: false,
    } satisfies Principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? { role: 'operator', keyId: 'anonymous', anonymous: true };
}

/** The customer a client is confined to, or undefined for operators. */
export function ownCustomer(res: Response): string | undefined {
  const principal = principalOf(res);
  return principal.role === 'client' ? principal.customerId : undefined;
}

/** Who did it, for audit records: the key's id, never a header the caller could set. */
export const actorOf = (res: Response) => principalOf(res).keyId;
