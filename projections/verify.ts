import { isDeepStrictEqual } from 'node:util';
import type { Db, Document } from 'mongodb';
import type { EventStore } from '../eventstore';
import type { Faults } from '../infra/faults';
import type { Logger } from '../infra/logger';
import { checkpoints } from '../subscriptions/runner';
import { checkpointIdOf, contextFor, dropGeneration, projectionState } from './generations';
import { startProjectionInstance } from './instance';
import type { Projection } from './types';

/** A generation's documents without per-document bookkeeping, sorted by id. */
export async function generationContents(db: Db, projection: Projection, generation: number): Promise<Record<string, Document[]>> {
  const out: Record<string, Document[]> = {};
  for (const logical of Object.keys(projection.collections)) {
    out[logical] = await contextFor(db, projection, generation).collection(logical).find({}, { projection: { applied: 0, epoch: 0 } }).sort({ _id: 1 }).toArray();
  }
  return out;
}

/**
 * Rebuilds a projection from position 0 into a scratch generation and compares it with the live
 * one: the check that a read model holds exactly what the event log says. The scratch generation
 * is dropped afterwards.
 */
export async function compareWithRebuild(
  projection: Projection,
  deps: { db: Db; store: EventStore; faults: Faults; log: Logger },
  timeoutMs = 120_000,
): Promise<{ equal: boolean; liveDocuments: number; rebuiltDocuments: number }> {
  const { db, store } = deps;
  const scratch = 9_000 + Math.floor(Math.random() * 900);
  const head = await store.headPosition();
  const instance = startProjectionInstance(projection, scratch, deps);
  const deadline = Date.now() + timeoutMs;
  while (instance.position() < head) {
    if (Date.now() > deadline) {
      await instance.stop();
      throw new Error(`rebuild of ${projection.name} did not reach position ${head} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await instance.stop();
  const state = await projectionState(db, projection.name);
  const live = await generationContents(db, projection, state.active);
  const rebuilt = await generationContents(db, projection, scratch);
  await dropGeneration(db, projection, scratch);
  await checkpoints(db).deleteOne({ _id: checkpointIdOf(projection.name, scratch) });
  const count = (c: Record<string, Document[]>) => Object.values(c).reduce((n, docs) => n + docs.length, 0);
  return { equal: isDeepStrictEqual(live, rebuilt), liveDocuments: count(live), rebuiltDocuments: count(rebuilt) };
}
