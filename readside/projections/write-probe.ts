import type { Document } from 'mongodb';
import type { Projection, ProjectionContext } from './types';

/**
 * An _id no read-model document has (theirs are strings) and none is ever given: the probe's update
 * matches nothing and upserts nothing, so readers and the rebuild comparison (verify.ts) never see
 * a trace of it, even if the process dies half-way.
 */
const WRITE_PROBE_ID = { writeProbe: true } as const;

/**
 * Whether the projection's store takes writes where its events are written: one update per
 * read-model collection, sent through the same context as the applies (the same collections,
 * the same interceptors). It reaches the server as a write — the collection's write path, its
 * locks, its failures — without changing a document. Throws what the store throws.
 */
export async function probeWrites(projection: Projection, ctx: ProjectionContext): Promise<void> {
  for (const logical of Object.keys(projection.collections)) {
    await ctx.collection<Document>(logical).updateOne({ _id: WRITE_PROBE_ID }, { $set: { probedAt: new Date() } });
  }
}
