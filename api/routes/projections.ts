import { Router } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { EventStore } from '../../eventstore';
import { projectionNamed, projections } from '../../projections';
import { projectionState, projectionStates } from '../../projections/generations';
import { projectionStatuses } from '../../projections/status';
import { HttpError, notFound } from '../errors';
import { parse } from '../validate';
import { policedRouter, type PoliceDeps } from '../policed-router';

/** Where every projection stands (state, lag, parked events, progress), and the rebuild command. */
export function projectionRoutes(deps: { police: PoliceDeps; db: Db; store: EventStore; stallAfterMs: number }): Router {
  const router = policedRouter(deps.police);
  const { db, store } = deps;

  router.get('/projections', async (_req, res) => {
    const rows = await projectionStatuses(db, store, deps.stallAfterMs);
    res.json({ headPosition: rows[0]?.headPosition ?? (await store.headPosition()), projections: rows });
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
