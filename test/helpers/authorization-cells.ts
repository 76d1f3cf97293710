import { ACCESS_POLICY, type Access, type RouteKey } from '../../api/access-policy';

/**
 * The cells of the authorization matrix (test/int/authorization-matrix.int.spec.ts), generated from
 * the access policy: every route × every caller × (where the route takes a resource) the caller's
 * own resource and someone else's. Pure, so the count docs/security.md states is checked by a unit test.
 */
export const CALLERS = ['none', 'invalid', 'owner', 'other', 'operator'] as const;
export type Caller = (typeof CALLERS)[number];

export interface AuthorizationCell {
  route: RouteKey;
  access: Access;
  caller: Caller;
  own: boolean;
}

/** What the policy says a caller gets, aimed at the owner's (`own`) or the other customer's resource. */
export function expected(
  access: Access,
  caller: Caller,
  own: boolean,
): { allowed: true } | { allowed: false; status: number; code: string } {
  if (access.public) return { allowed: true };
  if (caller === 'none' || caller === 'invalid') return { allowed: false, status: 401, code: 'unauthenticated' };
  if (caller === 'operator') return { allowed: true };
  switch (access.client) {
    case undefined:
      return { allowed: false, status: 403, code: 'forbidden' };
    case 'any':
    case 'own-list':
      return { allowed: true };
    case 'own-body':
      return own ? { allowed: true } : { allowed: false, status: 403, code: 'forbidden' };
    default:
      return own ? { allowed: true } : { allowed: false, status: 404, code: 'not_found' };
  }
}

/** Whether a route's answer depends on whose resource it names. */
export const takesResource = (route: string, access: Access) =>
  /:(orderId|id|customerId|streamId)\b/.test(route) || access.client === 'own-body';

export function authorizationCells(): {
  cells: AuthorizationCell[];
  denied: AuthorizationCell[];
  allowed: AuthorizationCell[];
} {
  const cells = Object.entries(ACCESS_POLICY as Record<string, Access>).flatMap(([route, access]) =>
    CALLERS.flatMap((caller) =>
      (takesResource(route, access) ? [true, false] : [true]).map((own) => ({
        route: route as RouteKey,
        access,
        caller,
        own,
      })),
    ),
  );
  const isAllowed = (c: AuthorizationCell) => expected(c.access, c.caller, c.own).allowed;
  return { cells, denied: cells.filter((c) => !isAllowed(c)), allowed: cells.filter(isAllowed) };
}
