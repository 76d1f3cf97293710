/**
 * Who may call what: the one declaration of the API's authorization. Every route is registered
 * through a policed router (api/policed-router.ts) that refuses to register a route missing from
 * this table and enforces its entry; the OpenAPI document states each operation's security from it;
 * the authorization matrix test (test/int/authorization-matrix.int.spec.ts) calls every route
 * Express serves as every kind of caller and checks the answer against it.
 *
 * Operators may call everything. A client (an API key bound to one customer) may call only what
 * its entry's `client` rule allows:
 *
 * - `any`: any authenticated caller.
 * - `own-order`: the `:orderId` must be an order of the client's customer (otherwise 404, as if it
 *   did not exist).
 * - `own-account`: the `:id` must be an account the client's customer holds (otherwise 404).
 * - `own-customer`: the `:customerId` must be the client's own (otherwise 404).
 * - `own-body`: the body may only name the client's own customer (`customerId`, otherwise 403);
 *   the route's handler applies the rest (its own list, the accounts it may pay with).
 * - `own-list`: a listing, which the handler narrows to the client's own customer.
 */
export type ClientRule = 'any' | 'own-order' | 'own-account' | 'own-customer' | 'own-body' | 'own-list';

export interface Access {
  /** No key needed (only the health check). */
  public?: true;
  /** What a client key may do here; absent means operators only. */
  client?: ClientRule;
  /** One line for the docs and the OpenAPI document. */
  why?: string;
}

const operators: Access = {};

/** Keyed by `METHOD /express/path`; the OpenAPI path is the same with `{param}`. */
export const ACCESS_POLICY = {
  'GET /health': { public: true, why: 'load balancers and orchestrators probe it' },
  'GET /health/ready': { public: true, why: 'orchestrators decide where to send reads with it' },
  'GET /openapi.json': { client: 'any', why: 'the contract is not a secret' },
  'GET /metrics': operators,

  'POST /orders': { client: 'own-body', why: 'for its own customer id, paid from an account it holds' },
  'GET /orders': { client: 'own-list' },
  'GET /orders/:orderId': { client: 'own-order' },
  'GET /orders/:orderId/saga': { client: 'own-order' },
  'POST /orders/:orderId/approve': operators,
  'POST /orders/:orderId/reject': operators,
  'POST /orders/:orderId/cancel': operators,
  'PUT /orders/:orderId/shipping-address': operators,
  'GET /customers/:customerId/orders': { client: 'own-customer' },

  'POST /accounts': { client: 'own-body', why: 'for itself, with no initial deposit (a client cannot create money)' },
  'GET /accounts': { client: 'own-list' },
  'GET /accounts/:id': { client: 'own-account' },
  'GET /accounts/:id/events': { client: 'own-account' },
  'POST /accounts/:id/deposits': { why: 'moving money in is an operator act' },
  'POST /accounts/:id/withdrawals': { why: 'clients pay through orders only' },

  'POST /inventory': operators,
  'GET /inventory': operators,
  'GET /inventory/:sku': operators,
  'GET /analytics/sales': operators,

  'GET /projections': operators,
  'POST /projections/:name/rebuild': operators,
  'GET /dead-letters': operators,
  'GET /dead-letters/:id': operators,
  'POST /dead-letters/:id/redrive': operators,
  'DELETE /dead-letters/:id': operators,
  'GET /emails': operators,
  'GET /faults': operators,
  'PUT /faults/:service': operators,
  'DELETE /faults/:service': operators,
  'POST /codec/encode': operators,
  'POST /codec/decode': operators,
} as const satisfies Record<string, Access>;

export type RouteKey = keyof typeof ACCESS_POLICY;

export function accessOf(method: string, path: string): Access | undefined {
  return (ACCESS_POLICY as Record<string, Access>)[`${method.toUpperCase()} ${path}`];
}

/** `/orders/:orderId` -> `/orders/{orderId}` */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

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
