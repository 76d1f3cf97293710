import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { policedRouter, type PoliceDeps } from '../policed-router';
import type { Config } from '../../config';
import type { EventStore } from '../../eventstore';
import { projectionStatuses } from '../../projections/read-side';

const CHECK_TIMEOUT_MS = 2_000;

/**
 * GET /health is liveness: 200 when Temporal and MongoDB both answer, 503 naming the one that does
 * not. A stalled read model does not make the API unhealthy (restarting it would not help).
 * GET /health/ready is readiness for traffic that reads: it also answers 503 naming every
 * projection that is stalled (see projections/status.ts and PROJECTION_STALL_AFTER).
 */
export function healthRoutes(deps: { police: PoliceDeps; client: Client; db: Db; store: EventStore; config: Pick<Config, 'PROJECTION_STALL_AFTER'> }): Router {
  const router = policedRouter(deps.police);
  router.get('/health', async (_req, res) => {
    const [temporal, mongodb] = await Promise.all([
      probe(() => deps.client.connection.workflowService.getSystemInfo({})),
      probe(() => deps.db.command({ ping: 1 })),
    ]);
    const body = { temporal: temporal.up ? 'up' : 'down', mongodb: mongodb.up ? 'up' : 'down' };
    if (temporal.up && mongodb.up) {
      res.status(200).json(body);
      return;
    }
    const errors = { ...(temporal.error && { temporal: temporal.error }), ...(mongodb.error && { mongodb: mongodb.error }) };
    res.status(503).json({ ...body, errors });
  });
  router.get('/health/ready', async (_req, res) => {
    const [temporal, mongodb] = await Promise.all([
      probe(() => deps.client.connection.workflowService.getSystemInfo({})),
      probe(() => deps.db.command({ ping: 1 })),
    ]);
    const rows = mongodb.up ? await projectionStatuses(deps.db, deps.store, deps.config.PROJECTION_STALL_AFTER).catch(() => []) : [];
    const stalled = rows.filter((r) => r.state === 'stalled').map((r) => ({ name: r.name, lagEvents: r.lagEvents, lagMs: r.lagMs, since: r.stalledSince ?? r.progressAt, lastError: r.lastError }));
    const ready = temporal.up && mongodb.up && stalled.length === 0;
    res.status(ready ? 200 : 503).json({ ready, temporal: temporal.up ? 'up' : 'down', mongodb: mongodb.up ? 'up' : 'down', stalled });
  });
  return router;
}

async function probe(check: () => Promise<unknown>): Promise<{ up: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { up: true };
  } catch (err) {
    return { up: false, error: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}
