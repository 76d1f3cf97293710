import type { Db } from 'mongodb';
import type { EventStore } from '../eventstore';
import type { HealthAnswer } from '../infra/health-server';
import { probe, probeErrors, upOrDown } from '../infra/probe';
import { projectionStatuses, type ProjectionStatus } from './projections/status';
import { stalledProjections } from './projections/stalled';

const PING_TIMEOUT_MS = 2_000;
const STATUS_TIMEOUT_MS = 5_000;

/**
 * The projector's own health, for its supervisor and docker-compose (served by
 * infra/health-server.ts on PROJECTOR_HEALTH_PORT):
 * - `/health` (liveness): MongoDB answers; a process that does not answer at all is wedged.
 * - `/health/ready`: also, no projection this process holds is stalled. Every stalled projection
 *   is named, with whether it is held here: a replica is not made unready by another's stall.
 */
export function projectorHealth(deps: {
  db: Db;
  store: Pick<EventStore, 'headPosition'>;
  stallAfterMs: number;
  holds: (projection: string) => boolean;
}) {
  const ping = () => probe(() => deps.db.command({ ping: 1 }), PING_TIMEOUT_MS);
  return {
    '/health': async (): Promise<HealthAnswer> => {
      const mongodb = await ping();
      const errors = probeErrors({ mongodb });
      return { ok: mongodb.up, body: { mongodb: upOrDown(mongodb), ...(errors && { errors }) } };
    },
    '/health/ready': async (): Promise<HealthAnswer> => {
      let rows: ProjectionStatus[] = [];
      const mongodb = await probe(async () => {
        rows = await projectionStatuses(deps.db, deps.store, deps.stallAfterMs);
      }, STATUS_TIMEOUT_MS);
      const held = rows.map((r) => r.name).filter((name) => deps.holds(name));
      const stalled = stalledProjections(rows).map((s) => ({ ...s, heldHere: deps.holds(s.name) }));
      const ok = mongodb.up && !stalled.some((s) => s.heldHere);
      const errors = probeErrors({ mongodb });
      return { ok, body: { ready: ok, mongodb: upOrDown(mongodb), held, stalled, ...(errors && { errors }) } };
    },
  };
}
