import type { Request, Response } from 'express';
import type { Collection, Db, Document } from 'mongodb';
import { z } from 'zod';
import { physicalName, projectionStatuses, servingPosition, type Projection } from '../readside';
import { HttpError } from './errors';
import type { EventStore } from '../eventstore';
import { parse } from './validate';

const consistency = z.object({
  minPosition: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  waitMs: z.coerce.number().int().min(0).max(30_000).default(5_000),
});

/**
 * A read that is behind looks at whether its projection is stalled only after this long, and then
 * once a second: the statuses are several queries per projection, and most waits end sooner.
 */
const FIRST_STALL_CHECK_MS = 100;
const STALL_CHECK_EVERY_MS = 1_000;
/** A stalled projection retries its failure at least every 5 s (readside/engine/retry.ts): no sooner is worth asking again. */
export const STALLED_RETRY_AFTER_S = 5;

/**
 * Read-your-writes for the eventually consistent read models: a command answers with the global
 * position of its last event; a query with `minPosition` (query parameter or `X-Min-Position`
 * header) waits until the projection has applied that far, or answers 504 after `waitMs` — or 503
 * with `Retry-After` as soon as it sees the projection stalled, which waiting would not cure.
 * Every read-model answer carries `X-Read-Model-Position`. The wait answers with the generation
 * whose position it saw, so that the documents are read from that generation without looking at
 * the projection's pointer a second time.
 */
export function readConsistency({
  db,
  store,
  stallAfterMs,
}: {
  db: Db;
  store: Pick<EventStore, 'headPosition'>;
  stallAfterMs: number;
}) {
  async function stalled(projection: Projection) {
    const rows = await projectionStatuses(db, store, stallAfterMs);
    return rows.find((r) => r.name === projection.name && r.state === 'stalled');
  }

  return async function awaitReadModel(projection: Projection, req: Request, res: Response): Promise<ServedFrom> {
    const q = parse(
      consistency,
      {
        minPosition: req.query.minPosition ?? req.header('x-min-position'),
        waitMs: req.query.waitMs ?? req.header('x-wait-ms'),
      },
      'query',
    );
    const started = Date.now();
    const deadline = started + q.waitMs;
    // Checked before a 504 too: a stalled read model is said to be stalled, not merely behind.
    let nextStallCheck = Math.min(started + FIRST_STALL_CHECK_MS, deadline);
    for (;;) {
      const { generation, position } = await servingPosition(db, projection.name);
      if (q.minPosition === undefined || position >= q.minPosition) {
        res.setHeader('X-Read-Model-Position', String(position));
        return { collection: (logical) => generationCollection(db, projection, generation, logical) };
      }
      if (q.minPosition > (await store.headPosition())) {
        // No command ever answered with this position: a client error, not a timeout.
        throw new HttpError(422, 'unknown_position', `Position ${q.minPosition} is beyond the head of the event log`, {
          minPosition: q.minPosition,
        });
      }
      if (Date.now() >= nextStallCheck) {
        nextStallCheck = Date.now() + STALL_CHECK_EVERY_MS;
        const row = await stalled(projection);
        if (row) {
          res.setHeader('Retry-After', String(STALLED_RETRY_AFTER_S));
          res.setHeader('X-Read-Model-Position', String(position));
          throw new HttpError(
            503,
            'read_model_stalled',
            `The ${projection.name} read model is stalled at position ${position}, short of ${q.minPosition}; retry later`,
            {
              projection: projection.name,
              position,
              minPosition: q.minPosition,
              stalledSince: row.stalledSince ?? row.progressAt,
            },
          );
        }
      }
      if (Date.now() >= deadline) {
        throw new HttpError(
          504,
          'read_model_behind',
          `The ${projection.name} read model has reached position ${position}, not ${q.minPosition}, within ${q.waitMs} ms`,
          {
            position,
            minPosition: q.minPosition,
          },
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
}

export type AwaitReadModel = ReturnType<typeof readConsistency>;

/** The read model's collections in the generation the answer's position belongs to. */
export interface ServedFrom {
  collection<T extends Document = Document>(logical: string): Collection<T>;
}

function generationCollection<T extends Document>(
  db: Db,
  projection: Projection,
  generation: number,
  logical: string,
): Collection<T> {
  if (!(logical in projection.collections))
    throw new Error(`projection ${projection.name} has no collection ${logical}`);
  return db.collection<T>(physicalName(projection.name, logical, generation));
}

/** Drops the consistency parameters before a route validates its own query. */
export function withoutConsistency(query: Request['query']): Record<string, unknown> {
  const { minPosition: _m, waitMs: _w, ...rest } = query as Record<string, unknown>;
  return rest;
}
