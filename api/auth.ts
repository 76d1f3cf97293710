import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { authRequired, type Config } from '../config';
import { HttpError } from './errors';

export interface Principal {
  role: 'operator' | 'client';
  /** Set for clients: the only customer whose orders they may place and read. */
  customerId?: string;
  /** True when authentication is off (development): the caller acts as an operator. */
  anonymous: boolean;
}

/** What a client may call; everything else is for operators (approve, cancel, redrive, rebuild, faults, accounts…). */
const CLIENT_ROUTES: Array<[string, RegExp]> = [
  ['POST', /^\/orders\/?$/],
  ['GET', /^\/orders\/?$/],
  ['GET', /^\/orders\/[^/]+\/?$/],
  ['GET', /^\/orders\/[^/]+\/saga\/?$/],
  ['GET', /^\/customers\/[^/]+\/orders\/?$/],
];
const PUBLIC_ROUTES: Array<[string, RegExp]> = [['GET', /^\/health\/?$/]];

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * API keys with roles. In production (or with AUTH=on) every endpoint but /health needs
 * `Authorization: Bearer <key>` (or `X-API-Key`): 401 without a valid key, 403 when the role does
 * not allow the call. Keys are compared as SHA-256 digests in constant time.
 */
export function authenticate(config: Config): RequestHandler {
  const keys = (config.API_KEYS ?? []).map((k) => ({ ...k, digest: digest(k.key) }));
  const required = authRequired(config);
  return (req, res, next) => {
    if (!required || PUBLIC_ROUTES.some(([m, p]) => m === req.method && p.test(req.path)) || req.method === 'OPTIONS') {
      res.locals.principal = { role: 'operator', anonymous: true } satisfies Principal;
      next();
      return;
    }
    const header = req.header('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : req.header('x-api-key');
    const match = presented ? keys.find((k) => timingSafeEqual(k.digest, digest(presented))) : undefined;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="orders"');
      next(new HttpError(401, 'unauthenticated', 'A valid API key is required (Authorization: Bearer <key>)'));
      return;
    }
    const principal: Principal = { role: match.role, customerId: match.customerId, anonymous: false };
    res.locals.principal = principal;
    if (principal.role === 'client' && !CLIENT_ROUTES.some(([m, p]) => m === req.method && p.test(req.path))) {
      next(new HttpError(403, 'forbidden', 'This API key may place and read its own orders only'));
      return;
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? { role: 'operator', anonymous: true };
}

/** The customer a client is confined to, or undefined for operators. */
export function ownCustomer(res: Response): string | undefined {
  const principal = principalOf(res);
  return principal.role === 'client' ? principal.customerId : undefined;
}
