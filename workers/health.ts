import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from 'mongodb';
import type { HealthAnswer } from '../infra/health-server';
import { probe, probeErrors, upOrDown } from '../infra/probe';

const CHECK_TIMEOUT_MS = 2_000;

/**
 * The worker's own health, for its supervisor and docker-compose (served by
 * infra/health-server.ts on WORKER_HEALTH_PORT): `/health` while Temporal and MongoDB answer,
 * `/health/ready` while the worker also polls its task queue (state RUNNING).
 */
export function workerHealth(deps: { connection: NativeConnection; db: Db; worker: Pick<Worker, 'getState'> }) {
  const servers = async () => {
    const [temporal, mongodb] = await Promise.all([
      probe(() => deps.connection.workflowService.getSystemInfo({}), CHECK_TIMEOUT_MS),
      probe(() => deps.db.command({ ping: 1 }), CHECK_TIMEOUT_MS),
    ]);
    const errors = probeErrors({ temporal, mongodb });
    return {
      up: temporal.up && mongodb.up,
      body: { temporal: upOrDown(temporal), mongodb: upOrDown(mongodb), ...(errors && { errors }) },
    };
  };
  return {
    '/health': async (): Promise<HealthAnswer> => {
      const { up, body } = await servers();
      return { ok: up, body };
    },
    '/health/ready': async (): Promise<HealthAnswer> => {
      const { up, body } = await servers();
      const state = deps.worker.getState();
      const ok = up && state === 'RUNNING';
      return { ok, body: { ready: ok, worker: state, ...body } };
    },
  };
}
