import { Router } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { EventStore } from '../../eventstore';
import { checkpoints } from '../../consumers/runner';
import { projectionNamed, projections } from '../../projections';
import { checkpointIdOf, projectionState, projectionStates } from '../../projections/generations';
import { HttpError, notFound } from '../errors';
import { parse } from '../validate';
import { policedRouter, type PoliceDeps } from '../policed-router';

/** Lag of every projection, and the rebuild command. */
export function projectionRoutes(deps: { police: PoliceDeps; db: Db; store: EventStore }): Router {
  const router = policedRouter(deps.police);
  const { db, store } = deps;

  /** How far one generation of a projection is behind the head of the log, in events and milliseconds. */
  async function progress(name: string, generation: number, head: number) {
    const position = (await checkpoints(db).findOne({ _id: checkpointIdOf(name, generation) }))?.position ?? 0;
    let lagMs = 0;
    if (position < head) {
      const oldestUnapplied = (await store.readAll({ fromPosition: position + 1, limit: 1 })).events[0];
      lagMs = oldestUnapplied ? Math.max(0, Date.now() - oldestUnapplied.metadata.timestamp.getTime()) : 0;
    }
    return { generation, position, lagEvents: Math.max(0, head - position), lagMs };
  }

  router.get('/projections', async (_req, res) => {
    const head = await store.headPosition();
    const rows = [];
    for (const projection of projections) {
      const state = await projectionState(db, projection.name);
      rows.push({
        name: projection.name,
        headPosition: head,
        ...(await progress(projection.name, state.active, head)),
        rebuilding: state.building === null ? null : await progress(projection.name, state.building, head),
        lastSwappedAt: state.swappedAt,
        projectorSeenAt: state.heartbeatAt,
      });
    }
    res.json({ headPosition: head, projections: rows });
  });

  router.post('/projections/:name/rebuild', async (req, res) => {
    const { name } = parse(z.object({ name: z.string().min(1).max(50) }), req.params, 'params');
    const projection = projectionNamed(name);
    if (!projection) throw notFound(`Projection ${name}`);
    const state = await projectionState(db, name);
    if (state.building !== null) throw new HttpError(409, 'rebuild_in_progress', `Projection ${name} is already being rebuilt into generation ${state.building}`);
    const generation = state.active + 1;
    const claimed = await projectionStates(db).updateOne({ _id: name, building: null, active: state.active }, { $set: { building: generation, requestedAt: new Date() } });
    if (claimed.modifiedCount === 0) throw new HttpError(409, 'rebuild_in_progress', `Projection ${name} is already being rebuilt`);
    res.status(202).json({ projection: name, generation, servingGeneration: state.active });
  });

  return router;
}
