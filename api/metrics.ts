import type { RequestHandler, Router } from 'express';
import { policedRouter, type PoliceDeps } from './policed-router';
import type { Db } from 'mongodb';
import client from 'prom-client';
import type { Config } from '../config';
import type { EventStore } from '../eventstore';
import { ORDER_STATUS, ORDER_STATUSES } from '../domain/orders';
import {
  BREAKER_SERVICES,
  BREAKER_STATUSES,
  breakerStream,
  evolveBreaker,
  initialBreakerState,
} from '../domain/breakers';
import { deadLetterCollection } from '../infra/dead-letters';
import { settlementCollection } from '../infra/settlements';
import { ordersProjection, projectionStatuses, readModel } from '../readside';

/**
 * GET /metrics: the API's own metrics (HTTP requests, sagas started) plus figures read from the
 * system's state at scrape time (saga outcomes from the orders read model, open dead letters,
 * projection lag), followed by the worker's metrics (the Temporal SDK's, with step durations and
 * activity retries) fetched from WORKER_METRICS_URLS. Reading state at scrape time keeps the
 * numbers right across restarts and across several API instances.
 */
export function createMetrics(deps: { db: Db; store: EventStore; config: Config }) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'api_' });

  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const sagasStarted = new client.Counter({
    name: 'sagas_started_total',
    help: 'Order sagas started by this API process',
    registers: [registry],
  });

  new client.Gauge({
    name: 'sagas',
    help: 'Orders by saga outcome, from the orders read model (completed, compensated, cancelled by an operator, running)',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const orders = await readModel(deps.db, ordersProjection, 'orders');
      const [completed, cancelled, operator, all] = await Promise.all([
        orders.countDocuments({ status: ORDER_STATUS.COMPLETED }),
        orders.countDocuments({ status: ORDER_STATUS.CANCELLED }),
        orders.countDocuments({ status: ORDER_STATUS.CANCELLED, failureReason: 'cancelled' }),
        orders.countDocuments({ 'facts.created': true }),
      ]);
      this.set({ outcome: 'completed' }, completed);
      this.set({ outcome: 'compensated' }, cancelled - operator);
      this.set({ outcome: 'cancelled' }, operator);
      this.set({ outcome: 'running' }, Math.max(0, all - completed - cancelled));
    },
  });
  new client.Gauge({
    name: 'orders_by_status',
    help: 'Orders by status, from the orders read model: every status of the status table, NEEDS_ATTENTION (waiting for a repair) among them',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const orders = await readModel(deps.db, ordersProjection, 'orders');
      const rows = await orders
        .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }])
        .toArray();
      for (const status of ORDER_STATUSES) this.set({ status }, rows.find((r) => r._id === status)?.n ?? 0);
    },
  });
  new client.Gauge({
    name: 'dead_letters',
    help: 'Dead letters by source and status',
    labelNames: ['source', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await deadLetterCollection(deps.db)
        .aggregate<{ _id: { source: string; status: string }; n: number }>([
          { $group: { _id: { source: '$source', status: '$status' }, n: { $sum: 1 } } },
        ])
        .toArray();
      for (const row of rows) this.set({ source: row._id.source, status: row._id.status }, row.n);
    },
  });
  // Orders whose saga ended without an outcome, from the settlements ledger the worker's sweep keeps.
  new client.Gauge({
    name: 'unsettled_orders',
    help: 'Orders whose saga ended without an outcome and that are not settled yet, by state (unsettled, settling, held: waiting in NEEDS_ATTENTION for a repair)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const settlements = settlementCollection(deps.db);
      const [unsettled, settling, held] = await Promise.all([
        settlements.countDocuments({ state: 'unsettled' }),
        settlements.countDocuments({ state: 'settling' }),
        settlements.countDocuments({ state: 'held' }),
      ]);
      this.set({ state: 'unsettled' }, unsettled);
      this.set({ state: 'settling' }, settling);
      this.set({ state: 'held' }, held);
    },
  });
  // Counted from the ledger at scrape time, as the other figures are: right across restarts and API instances.
  new client.Counter({
    name: 'orders_settled_total',
    help: 'Orders left without an outcome by their saga that a settlement undid and cancelled',
    registers: [registry],
    async collect() {
      this.reset();
      this.inc(await settlementCollection(deps.db).countDocuments({ state: 'settled', outcome: 'settled' }));
    },
  });
  new client.Counter({
    name: 'orders_settled_completed_total',
    help: 'Orders held in NEEDS_ATTENTION after their saga ended without an outcome that a repair finished forward (COMPLETED)',
    registers: [registry],
    async collect() {
      this.reset();
      this.inc(await settlementCollection(deps.db).countDocuments({ state: 'settled', outcome: 'completed' }));
    },
  });
  // The breakers' state and transitions, folded from their streams at scrape time (shared by all workers).
  const breakerEvents = (service: (typeof BREAKER_SERVICES)[number]) => deps.store.readStream(breakerStream(service));
  new client.Gauge({
    name: 'circuit_breaker_state',
    help: "Each external service's circuit breaker: 1 for the state it is in (closed, open, half-open), 0 for the others",
    labelNames: ['service', 'state'],
    registers: [registry],
    async collect() {
      for (const service of BREAKER_SERVICES) {
        const state = (await breakerEvents(service)).reduce(evolveBreaker, initialBreakerState());
        for (const status of BREAKER_STATUSES) this.set({ service, state: status }, state.status === status ? 1 : 0);
      }
    },
  });
  new client.Counter({
    name: 'circuit_breaker_transitions_total',
    help: "Transitions of each external service's circuit breaker, by the state entered",
    labelNames: ['service', 'to'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const service of BREAKER_SERVICES)
        for (const e of await breakerEvents(service))
          this.inc({ service, to: evolveBreaker(initialBreakerState(), e).status });
    },
  });
  new client.Gauge({
    name: 'event_log_head_position',
    help: 'Highest global position reserved in the event log',
    registers: [registry],
    async collect() {
      this.set(await deps.store.headPosition());
    },
  });
  // Per projection, from the same honest status as GET /projections: stalled means stuck, not slow.
  // Four gauges read the same status: compute it once per scrape, not once per gauge.
  let scrape: { at: number; rows: ReturnType<typeof projectionStatuses> } | undefined;
  const statuses = () => {
    if (!scrape || Date.now() - scrape.at > 1_000)
      scrape = { at: Date.now(), rows: projectionStatuses(deps.db, deps.store, deps.config.PROJECTION_STALL_AFTER) };
    return scrape.rows;
  };
  new client.Gauge({
    name: 'projection_lag_events',
    help: 'Events between the head of the log and the projection',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      for (const row of await statuses()) this.set({ projection: row.name }, row.lagEvents);
    },
  });
  new client.Gauge({
    name: 'projection_state',
    help: 'One per projection and state (running, catching-up, stalled, rebuilding): 1 for the current state',
    labelNames: ['projection', 'state'],
    registers: [registry],
    async collect() {
      for (const row of await statuses())
        for (const state of ['running', 'catching-up', 'stalled', 'rebuilding'])
          this.set({ projection: row.name, state }, row.state === state ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'projection_lag_seconds',
    help: 'Age of the oldest event a projection has not applied',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      for (const row of await statuses()) this.set({ projection: row.name }, row.lagMs / 1000);
    },
  });
  new client.Gauge({
    name: 'projection_parked_events',
    help: 'Events a projection set aside behind dead letters, plus the dead letters',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      for (const row of await statuses()) this.set({ projection: row.name }, row.parked + row.deadLetters);
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    const stop = latency.startTimer();
    res.on('finish', () => {
      // The matched route pattern, not the raw path, so ids do not explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      stop({ method: req.method, route });
    });
    next();
  };

  const routes = (police: PoliceDeps): Router =>
    policedRouter(police).get('/metrics', async (_req, res) => {
      const own = await registry.metrics();
      const workers = await Promise.all(
        deps.config.WORKER_METRICS_URLS.map(async (url) => {
          try {
            const answer = await fetch(url, { signal: AbortSignal.timeout(2_000) });
            return answer.ok
              ? `# worker metrics from ${url}\n${await answer.text()}`
              : `# worker metrics from ${url}: HTTP ${answer.status}\n`;
          } catch (err) {
            return `# worker metrics from ${url} unavailable: ${(err as Error).message}\n`;
          }
        }),
      );
      res.type(registry.contentType).send([own, ...workers].join('\n'));
    });

  return { registry, middleware, routes, sagasStarted };
}
