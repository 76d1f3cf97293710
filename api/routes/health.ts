import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { policedRouter, type PoliceDeps } from '../policed-router';

const CHECK_TIMEOUT_MS = 2_000;

/** GET /health: 200 when Temporal and MongoDB both answer; 503 naming the one that does not. */
export function healthRoutes(deps: { police: PoliceDeps; client: Client; db: Db }): Router {
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
