import { Router } from 'express';
import type { Db } from 'mongodb';
import type { EventStore } from '../../eventstore';
import { projectionStatuses, requestRebuild } from '../../readside';
import { HttpError, notFound } from '../errors';
import { parse } from '../validate';
import { projectionParams } from '../contract';
import { policedRouter, type PoliceDeps } from '../policed-router';

/** Where every projection stands (state, lag, parked events, progress), and the rebuild command. */
export function projectionRoutes(deps: {
  police: PoliceDeps;
  db: Db;
  store: EventStore;
  stallAfterMs: number;
}): Router {
  const router = policedRouter(deps.police);
  const { db, store } = deps;

  router.get('/projections', async (_req, res) => {
    const rows = await projectionStatuses(db, store, deps.stallAfterMs);
    res.json({ headPosition: rows[0]?.headPosition ?? (await store.headPosition()), projections: rows });
  });

  router.post('/projections/:name/rebuild', async (req, res) => {
    const { name } = parse(projectionParams, req.params, 'params');
    const answer = await requestRebuild(db, name);
    if (!answer.requested && answer.reason === 'unknown') throw notFound(`Projection ${name}`);
    if (!answer.requested)
      throw new HttpError(
        409,
        'rebuild_in_progress',
        `Projection ${name} is already being rebuilt${answer.generation ? ` into generation ${answer.generation}` : ''}`,
      );
    res
      .status(202)
      .json({ projection: name, generation: answer.generation, servingGeneration: answer.servingGeneration });
  });

  return router;
}
