import { isDeepStrictEqual } from 'node:util';
import type { Db, Document } from 'mongodb';
import type { EventStore } from '../../eventstore';
import type { Faults } from '../../infra/faults';
import type { Logger } from '../../infra/logger';
import { checkpoints } from '../engine/checkpoints';
import { checkpointIdOf, contextFor, dropGeneration, projectionState } from './generations';
import { startProjectionInstance } from './instance';
import type { Projection } from './types';

/** A generation's documents without per-document bookkeeping, sorted by id. */
export async function generationContents(
  db: Db,
  projection: Projection,
  generation: number,
): Promise<Record<string, Document[]>> {
  const out: Record<string, Document[]> = {};
  for (const logical of Object.keys(projection.collections)) {
    out[logical] = await contextFor(db, projection, generation)
      .collection(logical)
      // pricedPosition (inventory) only says how far a price write is in; documents written before
      // it existed lack it until their next price.
      .find({}, { projection: { applied: 0, epoch: 0, pricedPosition: 0 } })
      .sort({ _id: 1 })
      .toArray();
  }
  return out;
}

/**
 * Rebuilds a projection from position 0 into a scratch generation, in this process, and returns
 * its documents (the scratch generation is dropped afterwards): what the event log says the read
 * model must hold.
 */
export async function rebuildScratch(
  projection: Projection,
  deps: { db: Db; store: EventStore; faults?: Faults; log: Logger },
  options: { generation?: number; timeoutMs?: number } = {},
): Promise<Record<string, Document[]>> {
  const { db, store } = deps;
  const scratch = options.generation ?? 9_000 + Math.floor(Math.random() * 900);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const head = await store.headPosition();
  const instance = startProjectionInstance(projection, scratch, deps);
  const deadline = Date.now() + timeoutMs;
  try {
    while (instance.position() < head) {
      if (Date.now() > deadline)
        throw new Error(`rebuild of ${projection.name} did not reach position ${head} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await instance.stop();
  }
  const rebuilt = await generationContents(db, projection, scratch);
  await dropGeneration(db, projection, scratch);
  await checkpoints(db).deleteOne({ _id: checkpointIdOf(projection.name, scratch) });
  return rebuilt;
}

/** Compares the live generation with a fresh rebuild: the check that a read model holds exactly what the log says. */
export async function compareWithRebuild(
  projection: Projection,
  deps: { db: Db; store: EventStore; faults?: Faults; log: Logger },
  timeoutMs = 120_000,
): Promise<{ equal: boolean; liveDocuments: number; rebuiltDocuments: number }> {
  const rebuilt = await rebuildScratch(projection, deps, { timeoutMs });
  const state = await projectionState(deps.db, projection.name);
  const live = await generationContents(deps.db, projection, state.active);
  const count = (c: Record<string, Document[]>) => Object.values(c).reduce((n, docs) => n + docs.length, 0);
  return { equal: isDeepStrictEqual(live, rebuilt), liveDocuments: count(live), rebuiltDocuments: count(rebuilt) };
}
