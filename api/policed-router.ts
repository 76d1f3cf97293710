import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { accessOf, type Access } from './access-policy';
import { principalOf } from './auth';
import { HttpError, notFound } from './errors';
import { ownsStream } from './stream-owners';

/** Who owns what, for the `own-*` rules: the customer id, or null when there is no such thing. */
export interface Ownership {
  isOrderCustomer(orderId: string, customerId: string): Promise<boolean>;
  isAccountHolder(accountId: string, customerId: string): Promise<boolean>;
}

/** Counts and logs every refused request (never the key, only its id). */
export type DenialRecorder = (req: Request, res: Response, route: string, reason: string) => void;

export interface PoliceDeps {
  ownership: Ownership;
  denied: DenialRecorder;
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

/**
 * An Express router whose routes can only be registered with an entry in ACCESS_POLICY, and which
 * enforces that entry before the handler runs. A route without a policy fails at start-up, so it
 * can never be served unguarded.
 */
export function policedRouter(deps: PoliceDeps): Router {
  const router = Router();
  for (const method of METHODS) {
    const register = router[method].bind(router) as (path: string, ...handlers: RequestHandler[]) => Router;
    (router as unknown as Record<string, unknown>)[method] = (path: string, ...handlers: RequestHandler[]) => {
      const route = `${method.toUpperCase()} ${path}`;
      const access = accessOf(method, path);
      if (!access)
        throw new Error(
          `${route} has no entry in ACCESS_POLICY: declare the operation, with who may call it, in the API contract (api/contract/)`,
        );
      return register(path, authorize(route, access, deps), ...handlers);
    };
  }
  return router;
}

function authorize(route: string, access: Access, deps: PoliceDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (access.public || principal.role === 'operator') return next();
    const deny = (reason: string, err: HttpError) => {
      deps.denied(req, res, route, reason);
      next(err);
    };
    const own = principal.customerId!;
    switch (access.client) {
      case undefined:
        return deny('operators-only', new HttpError(403, 'forbidden', 'Only operators may do this'));
      case 'any':
      case 'own-list':
        return next();
      case 'own-body': {
        const named = (req.body as { customerId?: unknown } | undefined)?.customerId;
        if (named !== undefined && named !== own)
          return deny(
            'other-customer',
            new HttpError(403, 'forbidden', 'A client may act for its own customer id only'),
          );
        return next();
      }
      case 'own-customer':
        if (req.params.customerId !== own)
          return deny('other-customer', notFound(`Customer ${String(req.params.customerId)}`));
        return next();
      case 'own-order':
        return void deps.ownership
          .isOrderCustomer(String(req.params.orderId), own)
          .then((owner) => (owner ? next() : deny('not-owner', notFound(`Order ${String(req.params.orderId)}`))), next);
      case 'own-account':
        return void deps.ownership
          .isAccountHolder(String(req.params.id), own)
          .then((holder) => (holder ? next() : deny('not-holder', notFound(`Account ${String(req.params.id)}`))), next);
      case 'own-stream': {
        const streamId = String(req.params.streamId);
        return void ownsStream(deps.ownership, streamId, own).then(
          (mine) => (mine ? next() : deny('not-owner', notFound(`Stream ${streamId}`))),
          next,
        );
      }
    }
  };
}
