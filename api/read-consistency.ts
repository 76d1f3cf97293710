import type { Request, Response } from 'express';
import type { Collection, Db, Document } from 'mongodb';
import { z } from 'zod';
import {
  documentsHold,
  physicalName,
  projectionState,
  projectionStatuses,
  servingPosition,
  type Projection,
} from '../readside';
import { HttpError } from './errors';
import type { EventStore, StoredEvent } from '../eventstore';
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
 * How long a one-document read trusts the generation it last saw serving (ms). A rebuild moves the
 * pointer and then drops the old generation, so a read that finds nothing in a generation it
 * remembered asks the pointer again before it answers 404; one that finds its document there is
 * an answer as of the swap at the latest, and says its position.
 */
export const SERVING_GENERATION_FRESH_MS = 1_000;

/**
 * Read-your-writes for the eventually consistent read models: a command answers with the global
 * position of its last event; a query with `minPosition` (query parameter or `X-Min-Position`
 * header) waits until the projection has applied that far, or answers 504 after `waitMs` — or 503
 * with `Retry-After` as soon as it sees the projection stalled, which waiting would not cure.
 * Every read-model answer carries `X-Read-Model-Position`: a position up to which the answer
 * shows every event of what it answers (for a list, the projection's checkpoint; for one document
 * that knows its own position, possibly that). The wait answers with the generation whose position
 * it saw, so that the documents are read from that generation without looking at the projection's
 * pointer a second time.
 */
export function readConsistency({
  db,
  store,
  stallAfterMs,
}: {
  db: Db;
  store: Pick<EventStore, 'headPosition' | 'eventAt'>;
  stallAfterMs: number;
}) {
  const serving = new Map<string, { generation: number; readAt: number }>();
  /** The generation serving reads: the one seen within SERVING_GENERATION_FRESH_MS, or the pointer read now. */
  async function servingGeneration(
    projection: Projection,
    fresh = false,
  ): Promise<{ generation: number; remembered: boolean }> {
    const kept = serving.get(projection.name);
    if (!fresh && kept && Date.now() - kept.readAt < SERVING_GENERATION_FRESH_MS)
      return { generation: kept.generation, remembered: true };
    const { active } = await projectionState(db, projection.name);
    serving.set(projection.name, { generation: active, readAt: Date.now() });
    return { generation: active, remembered: false };
  }

  async function stalled(projection: Projection) {
    const rows = await projectionStatuses(db, store, stallAfterMs);
    return rows.find((r) => r.name === projection.name && r.state === 'stalled');
  }

  const consistencyOf = (req: Request) =>
    parse(
      consistency,
      {
        minPosition: req.query.minPosition ?? req.header('x-min-position'),
        waitMs: req.query.waitMs ?? req.header('x-wait-ms'),
      },
      'query',
    );

  /**
   * Waits until the projection's checkpoint reaches `minPosition`, or `probe` (run after each look
   * at the checkpoint, on the generation it belongs to) says its answer shows it; 422, 503 or 504
   * as the read-model routes answer them.
   */
  async function waitFor<T>(
    projection: Projection,
    q: z.infer<typeof consistency>,
    res: Response,
    probe: (served: ServedFrom, checkpoint: number) => Promise<{ answer: T; position: number } | undefined>,
  ): Promise<T> {
    const started = Date.now();
    const deadline = started + q.waitMs;
    // Checked before a 504 too: a stalled read model is said to be stalled, not merely behind.
    let nextStallCheck = Math.min(started + FIRST_STALL_CHECK_MS, deadline);
    for (;;) {
      const { generation, position } = await servingPosition(db, projection.name);
      const found = await probe(servedFrom(db, projection, generation), position);
      if (found) {
        res.setHeader('X-Read-Model-Position', String(found.position));
        return found.answer;
      }
      // A probe answers a read without minPosition at once: it is served as it stands.
      if (q.minPosition === undefined) throw new Error('a read without minPosition was not answered');
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
  }

  /**
   * A read of many documents (a list, an aggregate) of one of the projection's collections
   * (`logical`): it answers `minPosition` once the projection's checkpoint reaches it, or, for a
   * projection whose documents record the positions applied to them (`documentsOf`), once the
   * documents of that collection the event at `minPosition` writes hold it (readside's
   * documentsHold: the collection then shows every event up to it). So a list read of one's own
   * write needs no checkpoint written at once, and those projections write theirs lazily. A
   * position whose event writes nothing there waits for the checkpoint.
   */
  async function awaitReadModel(
    projection: Projection,
    req: Request,
    res: Response,
    logical?: string,
  ): Promise<ServedFrom> {
    const q = consistencyOf(req);
    const wanted = q.minPosition;
    let event: Promise<StoredEvent | null> | undefined;
    return waitFor(projection, q, res, async (served, checkpoint) => {
      if (wanted === undefined || checkpoint >= wanted) return { answer: served, position: checkpoint };
      if (!logical || !projection.documentsOf || wanted < 1) return undefined;
      // Read once per request: an event, once written, never changes (a position still empty here
      // leaves the read to the checkpoint).
      const at = await (event ??= store.eventAt(wanted));
      if (at && (await documentsHold(projection, served.collection(logical), logical, at)))
        return { answer: served, position: wanted };
      return undefined;
    });
  }

  /**
   * A read of one document that knows how far it has applied the log (`positionOf`: every event of
   * the document at or below that position is in it; see readside's orderDocumentPosition). The
   * document alone answers when it has applied `minPosition` (or when none is asked for): no look
   * at the checkpoint. Otherwise (it has not applied anything that far: the position may be
   * another document's, or not applied yet) the read waits as a list does, for the checkpoint,
   * looking at the document again after each look at the checkpoint, so that whichever shows the
   * position first answers. `X-Read-Model-Position` is then how far the answer is known to show
   * the log for this document: its own position, or the checkpoint when that is higher.
   */
  async function awaitDocument<T>(
    projection: Projection,
    req: Request,
    res: Response,
    read: (served: ServedFrom) => Promise<T | null>,
    positionOf: (doc: T | null) => number | undefined,
  ): Promise<T | null> {
    const q = consistencyOf(req);
    const remembered = await servingGeneration(projection);
    let doc = await read(servedFrom(db, projection, remembered.generation));
    if (doc === null && remembered.remembered) {
      // Perhaps a rebuild swapped generations since: a document is never missing for that reason.
      const now = await servingGeneration(projection, true);
      if (now.generation !== remembered.generation) doc = await read(servedFrom(db, projection, now.generation));
    }
    const own = positionOf(doc);
    if (own !== undefined && (q.minPosition === undefined || own >= q.minPosition)) {
      res.setHeader('X-Read-Model-Position', String(own));
      return doc;
    }
    return waitFor(projection, q, res, async (served, checkpoint) => {
      // Read after the checkpoint: a checkpoint that has reached minPosition vouches for it.
      const again = await read(served);
      const position = Math.max(checkpoint, positionOf(again) ?? -1);
      return q.minPosition === undefined || position >= q.minPosition ? { answer: again, position } : undefined;
    });
  }

  return { awaitReadModel, awaitDocument };
}

export type ReadConsistency = ReturnType<typeof readConsistency>;

/** The read model's collections in the generation the answer's position belongs to. */
export interface ServedFrom {
  collection<T extends Document = Document>(logical: string): Collection<T>;
}

function servedFrom(db: Db, projection: Projection, generation: number): ServedFrom {
  return {
    collection<T extends Document>(logical: string): Collection<T> {
      if (!(logical in projection.collections))
        throw new Error(`projection ${projection.name} has no collection ${logical}`);
      return db.collection<T>(physicalName(projection.name, logical, generation));
    },
  };
}

/** Drops the consistency parameters before a route validates its own query. */
export function withoutConsistency(query: Request['query']): Record<string, unknown> {
  const { minPosition: _m, waitMs: _w, ...rest } = query as Record<string, unknown>;
  return rest;
}
