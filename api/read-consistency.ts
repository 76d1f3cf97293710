import type { Request, Response } from 'express';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { appliedPosition, type Projection } from '../projections/read-side';
import { HttpError } from './errors';
import { createEventStore } from '../eventstore';
import { parse } from './validate';

const consistency = z.object({
  minPosition: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  waitMs: z.coerce.number().int().min(0).max(30_000).default(5_000),
});

/**
 * Read-your-writes for the eventually consistent read models: a command answers with the global
 * position of its last event; a query with `minPosition` (query parameter or `X-Min-Position`
 * header) waits until the projection has applied that far, or answers 504 after `waitMs`.
 * Every read-model answer carries `X-Read-Model-Position`.
 */
export async function awaitReadModel(db: Db, projection: Projection, req: Request, res: Response): Promise<void> {
  const q = parse(
    consistency,
    { minPosition: req.query.minPosition ?? req.header('x-min-position'), waitMs: req.query.waitMs ?? req.header('x-wait-ms') },
    'query',
  );
  const deadline = Date.now() + q.waitMs;
  const store = createEventStore(db);
  for (;;) {
    const position = await appliedPosition(db, projection.name);
    if (q.minPosition === undefined || position >= q.minPosition) {
      res.setHeader('X-Read-Model-Position', String(position));
      return;
    }
    if (q.minPosition > (await store.headPosition())) {
      // No command ever answered with this position: a client error, not a timeout.
      throw new HttpError(422, 'unknown_position', `Position ${q.minPosition} is beyond the head of the event log`, { minPosition: q.minPosition });
    }
    if (Date.now() >= deadline) {
      throw new HttpError(504, 'read_model_behind', `The ${projection.name} read model has reached position ${position}, not ${q.minPosition}, within ${q.waitMs} ms`, {
        position,
        minPosition: q.minPosition,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Drops the consistency parameters before a route validates its own query. */
export function withoutConsistency(query: Request['query']): Record<string, unknown> {
  const { minPosition: _m, waitMs: _w, ...rest } = query as Record<string, unknown>;
  return rest;
}
