import { CONTRACT, type Access, type ClientRule, type RouteKey } from './contract';

export { openApiPath, type Access, type ClientRule, type RouteKey } from './contract';

/**
 * Who may call what: the authorization half of the API's contract (api/contract/), one entry per
 * operation. Every route is registered through a policed router (api/policed-router.ts) that
 * refuses to register a route missing from this table and enforces its entry; the OpenAPI document
 * states each operation's security from the same entries; the authorization matrix test
 * (test/int/authorization-matrix.int.spec.ts) calls every route Express serves as every kind of
 * caller and checks the answer against it. The rules are described in api/contract/define.ts.
 */
export const ACCESS_POLICY = Object.fromEntries(
  Object.entries(CONTRACT).map(([route, operation]) => [route, operation.access]),
) as Record<RouteKey, Access>;

export function accessOf(method: string, path: string): Access | undefined {
  return (ACCESS_POLICY as Record<string, Access>)[`${method.toUpperCase()} ${path}`];
}

/** The policy entry in words, for the OpenAPI document and the README. */
export function describeAccess(access: Access): string {
  if (access.public) return 'public';
  if (!access.client) return 'operators';
  const client: Record<ClientRule, string> = {
    any: 'operators and clients',
    'own-order': "operators; clients for their own customer's orders (404 otherwise)",
    'own-account': 'operators; clients for the accounts they hold (404 otherwise)',
    'own-customer': 'operators; clients for their own customer id (404 otherwise)',
    'own-body': 'operators; clients for their own customer id (403 otherwise)',
    'own-list': 'operators (everything); clients (their own customer only)',
    'own-stream':
      "operators every stream; clients the streams of their own customer's orders and accounts (404 otherwise)",
  };
  return client[access.client];
}

const patterns = Object.keys(ACCESS_POLICY).map((route) => {
  const [method, path] = route.split(' ') as [string, string];
  return { method, path, regex: new RegExp(`^${path.replace(/:\w+/g, '[^/]+')}/?$`) };
});

/** The methods the API serves on a concrete path (empty: no such path). */
export function methodsServedAt(path: string): string[] {
  return patterns.filter((p) => p.regex.test(path)).map((p) => p.method);
}
