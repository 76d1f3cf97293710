import { customerRoutes } from './routes/customers';
import type { PersonalData } from '../infra/personal-data';
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { authRequired, faultInjectionOn, type Config } from '../config';
import type { Logger } from '../infra/logger';
import { errorHandler, HttpError, unknownRoute } from './errors';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import { payloadCodec } from '../infra/data-converter';
import client from 'prom-client';
import { authenticate, principalOf } from './auth';
import { createIdempotency } from './idempotency';
import { createOwnership } from './ownership';
import { methodsServedAt } from './access-policy';
import { policedRouter, type DenialRecorder, type PoliceDeps } from './policed-router';
import { codecRoutes } from './routes/codec';
import { createMetrics } from './metrics';
import { openApiDocument } from './openapi';
import { requestLog } from './request-log';
import type { InventoryCatalog, OrderCustomers } from '../activities/services';
import type { AccountService } from '../domain/accounts';
import type { EventStore } from '../eventstore';
import { createFaults } from '../infra/faults';
import { deadLetterRoutes } from './routes/dead-letters';
import { emailRoutes } from './routes/emails';
import { projectionRoutes } from './routes/projections';
import { readModelRoutes } from './routes/read-models';
import { faultRoutes } from './routes/faults';
import { breakerRoutes } from './routes/breakers';
import { healthRoutes } from './routes/health';
import { inventoryRoutes } from './routes/inventory';
import { orderRoutes } from './routes/orders';
import { unsettledRoutes } from './routes/unsettled';
import { accountRoutes } from './routes/accounts';
import { streamRoutes } from './routes/streams';
import { liveRoutes } from './routes/live';
import { consoleFiles } from './console';

/**
 * What the API is built from, each piece built once for the process by its composition root
 * (composition/api.ts): every route that reads an account uses the same account service, so the
 * process keeps one cache of account folds.
 */
export interface AppDeps {
  client: Client;
  db: Db;
  config: Config;
  log: Logger;
  store: EventStore;
  accounts: AccountService;
  personalData: PersonalData;
  catalog: InventoryCatalog;
  customers: OrderCustomers;
}

/** The Express app, without listening: tests mount it on an ephemeral port. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const { store, personalData, catalog } = deps;
  const metrics = createMetrics({ db: deps.db, store, config: deps.config });
  app.use(metrics.middleware);
  app.use(requestLog(deps.log));
  app.use(helmet());
  const perMinute = deps.config.RATE_LIMIT_PER_MINUTE || (deps.config.NODE_ENV === 'production' ? 600 : 0);
  if (perMinute > 0) {
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: perMinute,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        handler: (_req, _res, next) =>
          next(new HttpError(429, 'rate_limited', `More than ${perMinute} requests per minute; slow down`)),
      }),
    );
  }
  const denials = new client.Counter({
    name: 'http_requests_denied_total',
    help: 'Requests refused by authentication or the access policy, by route and reason',
    labelNames: ['route', 'reason'],
    registers: [metrics.registry],
  });
  const denied: DenialRecorder = (req, res, route, reason) => {
    denials.inc({ route, reason });
    // The key's id names the caller; the key itself never reaches a log.
    deps.log.warn(
      {
        correlationId: req.header('x-correlation-id'),
        keyId: principalOf(res).keyId,
        method: req.method,
        route,
        reason,
      },
      'request denied',
    );
  };
  const police: PoliceDeps = { ownership: createOwnership(deps), denied };
  app.use(consoleFiles());
  app.use(authenticate(deps.config, denied));
  app.use(express.json({ limit: '100kb', strict: true }));
  app.use((req, _res, next) => {
    // JSON APIs should refuse other bodies loudly rather than see an empty object.
    if (
      ['POST', 'PUT', 'PATCH'].includes(req.method) &&
      req.headers['content-length'] !== '0' &&
      hasBody(req) &&
      !req.is('application/json')
    ) {
      next(new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json'));
      return;
    }
    next();
  });
  const faults = createFaults(deps.db, faultInjectionOn(deps.config));
  const idempotency = createIdempotency(deps.db, deps.config, personalData.requestDigest);
  // A path the API serves, asked with a method it does not: 405 with the methods it does (a CORS
  // preflight excepted: the codec routes answer those).
  app.use((req, res, next) => {
    const served = methodsServedAt(req.path);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const preflight = req.method === 'OPTIONS' && req.header('access-control-request-method') !== undefined;
    if (served.length === 0 || served.includes(method) || preflight) return next();
    res.setHeader('Allow', served.join(', '));
    next(
      new HttpError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${req.path}; allowed: ${served.join(', ')}`,
      ),
    );
  });
  app.use(healthRoutes({ ...deps, store, police }));
  const openApi = openApiDocument({ authRequired: authRequired(deps.config) });
  app.use(policedRouter(police).get('/openapi.json', (_req, res) => void res.json(openApi)));
  app.use(metrics.routes(police));
  app.use(orderRoutes({ ...deps, police, idempotency, catalog, personalData, sagasStarted: metrics.sagasStarted }));
  app.use(accountRoutes({ ...deps, police, idempotency, personalData }));
  app.use(inventoryRoutes({ police, idempotency, catalog }));
  app.use(faultRoutes({ police, faults, config: deps.config }));
  app.use(breakerRoutes({ police, db: deps.db, store }));
  // Before GET /orders/:orderId, which would take `unsettled` for an order id.
  app.use(unsettledRoutes({ police, db: deps.db }));
  app.use(readModelRoutes({ ...deps, police, personalData }));
  app.use(customerRoutes({ ...deps, police, personalData }));
  app.use(projectionRoutes({ police, db: deps.db, store, stallAfterMs: deps.config.PROJECTION_STALL_AFTER }));
  app.use(streamRoutes({ police, store, personalData }));
  app.use(liveRoutes({ ...deps, police, store, personalData, registry: metrics.registry }));
  app.use(deadLetterRoutes({ ...deps, police }));
  app.use(emailRoutes({ ...deps, police, personalData }));
  app.use(
    codecRoutes({
      police,
      codec: payloadCodec(deps.config),
      corsOrigins: deps.config.CODEC_CORS_ORIGINS,
      personalData,
    }),
  );
  app.use(unknownRoute);
  app.use(errorHandler(deps.log));
  return app;
}

function hasBody(req: express.Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
