import type { Db } from 'mongodb';
import type { EventStore } from '../../eventstore';
import { deadLetterCollection } from '../../infra/dead-letters';
import { checkpoints } from '../engine/checkpoints';
import { checkpointIdOf, projectionState } from './generations';
import { parkedEvents } from './instance';
import { projections } from './index';

export type ProjectionHealth = 'running' | 'catching-up' | 'stalled' | 'rebuilding';

export interface GenerationProgress {
  generation: number;
  position: number;
  lagEvents: number;
  /** Age of the oldest event not yet applied (gap markers and holes included); 0 when caught up. */
  lagMs: number;
  /** Events set aside behind dead letters, and the dead letters themselves. */
  parked: number;
  deadLetters: number;
  /** Last time the position advanced or there was nothing to do. */
  progressAt: Date | null;
  /** Last time the checkpoint moved (before progress was recorded, the only clue). */
  updatedAt: Date | null;
  stalledSince: Date | null;
  lastError: string | null;
}

export interface ProjectionStatus extends GenerationProgress {
  name: string;
  state: ProjectionHealth;
  headPosition: number;
  /** Liveness: a projector process looked after it (it may still be stuck). */
  projectorSeenAt: Date | null;
  lastSwappedAt: Date | null;
  rebuilding: GenerationProgress | null;
}

/**
 * Where each projection stands, honest about being stuck: a projection is `stalled` when a
 * systemic failure holds it, or when it has work and made no progress for `stallAfterMs` —
 * whether its store fails, its apply hangs or its process is frozen. Liveness (the projector's
 * heartbeat) is reported beside it and never counts as progress.
 */
export async function projectionStatuses(
  db: Db,
  store: Pick<EventStore, 'headPosition'>,
  stallAfterMs: number,
): Promise<ProjectionStatus[]> {
  const events = db.collection<{ position: number; metadata: { timestamp: Date } }>('events');
  const head = await store.headPosition();
  const now = Date.now();

  async function progress(name: string, generation: number): Promise<GenerationProgress> {
    const instance = checkpointIdOf(name, generation);
    const cp = await checkpoints(db).findOne({ _id: instance });
    const position = cp?.position ?? 0;
    const lagEvents = Math.max(0, head - position);
    let lagMs = 0;
    if (lagEvents > 0) {
      const next = await events.findOne(
        { position: { $gt: position } },
        { sort: { position: 1 }, projection: { _id: 0, position: 1, 'metadata.timestamp': 1 } },
      );
      // The next position is a hole (its append has not landed): it is at least as old as the last progress.
      const since =
        next && next.position === position + 1
          ? next.metadata.timestamp.getTime()
          : Math.min(next?.metadata.timestamp.getTime() ?? now, cp?.progressAt?.getTime() ?? now);
      lagMs = Math.max(0, now - since);
    }
    const [parked, deadLetters] = await Promise.all([
      parkedEvents(db).countDocuments({ instance }),
      deadLetterCollection(db).countDocuments({
        source: 'projection',
        step: instance,
        status: { $in: ['open', 'redrive-requested', 'discard-requested'] },
      }),
    ]);
    return {
      generation,
      position,
      lagEvents,
      lagMs,
      parked,
      deadLetters,
      progressAt: cp?.progressAt ?? null,
      updatedAt: cp?.updatedAt ?? null,
      stalledSince: cp?.stalledSince ?? null,
      lastError: cp?.lastError ?? null,
    };
  }

  const rows: ProjectionStatus[] = [];
  for (const projection of projections) {
    const state = await projectionState(db, projection.name);
    const live = await progress(projection.name, state.active);
    const lastMoved = live.progressAt ?? live.updatedAt;
    const stuck =
      live.stalledSince !== null ||
      (live.lagEvents > 0 && (lastMoved === null || now - lastMoved.getTime() > stallAfterMs));
    rows.push({
      name: projection.name,
      state: stuck
        ? 'stalled'
        : state.building !== null
          ? 'rebuilding'
          : live.lagEvents > 0
            ? 'catching-up'
            : 'running',
      headPosition: head,
      ...live,
      projectorSeenAt: state.heartbeatAt,
      lastSwappedAt: state.swappedAt,
      rebuilding: state.building === null ? null : await progress(projection.name, state.building),
    });
  }
  return rows;
}

/** The global position up to which a projection's serving generation has applied the log. */
export async function appliedPosition(db: Db, name: string): Promise<number> {
  return (await servingPosition(db, name)).position;
}

/**
 * The generation a projection serves reads from and the position it has applied, read together:
 * a query that reads the documents of this generation needs no second look at the pointer.
 */
export async function servingPosition(db: Db, name: string): Promise<{ generation: number; position: number }> {
  const { active } = await projectionState(db, name);
  const position = (await checkpoints(db).findOne({ _id: checkpointIdOf(name, active) }))?.position ?? 0;
  return { generation: active, position };
}
