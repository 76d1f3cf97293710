import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { Router } from 'express';
import { policedRouter, type PoliceDeps } from '../policed-router';
import type { Config } from '../../config';
import type { EventStore } from '../../eventstore';
import { probe, probeErrors, upOrDown } from '../../infra/probe';
import { projectionStatuses, stalledProjections, type ProjectionStatus } from '../../readside';

const CHECK_TIMEOUT_MS = 2_000;
/** Reading every projection's status is a few queries each, not one ping. */
const STATUS_TIMEOUT_MS = 5_000;

/**
 * The API's health, about what the API itself serves:
 * - GET /health (liveness) and GET /health/ready (readiness): 200 while Temporal and MongoDB
 *   answer, 503 naming the one that does not. Every replica shares the same projections, so a
 *   stalled one must not take them all out of rotation: commands need no read model.
 * - GET /health/read-side: 503 naming every stalled projection (readside/projections/status.ts,
 *   PROJECTION_STALL_AFTER), for whoever routes reads; the projector reports the same on its own
 *   health endpoint, and a read waiting for a position on a stalled one answers 503 at once.
 */
export function healthRoutes(deps: {
  police: PoliceDeps;
  client: Client;
  db: Db;
  store: EventStore;
  config: Pick<Config, 'PROJECTION_STALL_AFTER'>;
}): Router {
  const router = policedRouter(deps.police);
  const servers = async () => {
    const [temporal, mongodb] = await Promise.all([
      probe(() => deps.client.connection.workflowService.getSystemInfo({}), CHECK_TIMEOUT_MS),
      probe(() => deps.db.command({ ping: 1 }), CHECK_TIMEOUT_MS),
    ]);
    const errors = probeErrors({ temporal, mongodb });
    return {
      up: temporal.up && mongodb.up,
      body: { temporal: upOrDown(temporal), mongodb: upOrDown(mongodb), ...(errors && { errors }) },
    };
  };

  router.get('/health', async (_req, res) => {
    const { up, body } = await servers();
    res.status(up ? 200 : 503).json(body);
  });

  router.get('/health/ready', async (_req, res) => {
    const { up, body } = await servers();
    res.status(up ? 200 : 503).json({ ready: up, ...body });
  });

  router.get('/health/read-side', async (_req, res) => {
    // The statuses are read from MongoDB: when it cannot answer, that is what the 503 names.
    let rows: ProjectionStatus[] = [];
    const mongodb = await probe(async () => {
      rows = await projectionStatuses(deps.db, deps.store, deps.config.PROJECTION_STALL_AFTER);
    }, STATUS_TIMEOUT_MS);
    const stalled = stalledProjections(rows);
    const ready = mongodb.up && stalled.length === 0;
    const errors = probeErrors({ mongodb });
    res.status(ready ? 200 : 503).json({
      ready,
      mongodb: upOrDown(mongodb),
      stalled,
      projections: rows.map((r) => ({ name: r.name, state: r.state })),
      ...(errors && { errors }),
    });
  });
  return router;
}
