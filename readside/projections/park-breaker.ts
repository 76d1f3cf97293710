import type { Db } from 'mongodb';
import { INITIAL_PROJECTION_STATE, projectionStates, type ProjectionStateDocument } from './generations';

/** Parks from this many different streams within the window mean the store, not the events. */
export const PARK_BREAKER_STREAMS = 3;
export const PARK_BREAKER_WINDOW_MS = 60_000;
/**
 * Parks remembered per projection. Only different streams within the window count, and a blocked
 * stream's later events are set aside without a park of their own, so this bounds the document
 * while keeping far more than the window needs.
 */
const REMEMBERED_PARKS = 50;

type RecentPark = NonNullable<ProjectionStateDocument['recentParks']>[number];

/** Whether an event of `streamId` may be parked now, given the parks before it. */
export function parkAllowed(parks: readonly RecentPark[], streamId: string, now: number): boolean {
  const others = new Set(
    parks
      .filter((p) => p.at.getTime() > now - PARK_BREAKER_WINDOW_MS && p.streamId !== streamId)
      .map((p) => p.streamId),
  );
  return others.size + 1 < PARK_BREAKER_STREAMS;
}

/**
 * The breaker that stops a failing store from being taken for a run of poison events: an event is
 * not parked when that would make PARK_BREAKER_STREAMS different streams parked within the window;
 * its failure is taken as systemic until the older parks have left the window. Its memory is the projection's state document, so every generation
 * and every projector that takes the projection over sees the same parks, a restart forgets
 * nothing, and events that apply in between (a flapping store lets some through) do not reset it.
 */
export function parkBreaker(db: Db, projection: string) {
  const states = projectionStates(db);
  return {
    async allows(streamId: string): Promise<boolean> {
      const state = await states.findOne({ _id: projection }, { projection: { recentParks: 1 } });
      return parkAllowed(state?.recentParks ?? [], streamId, Date.now());
    },
    /** Written before the park itself: a crash in between counts a park too many, never one too few. */
    async record(streamId: string): Promise<void> {
      await states.updateOne(
        { _id: projection },
        {
          $push: { recentParks: { $each: [{ streamId, at: new Date() }], $slice: -REMEMBERED_PARKS } },
          $setOnInsert: INITIAL_PROJECTION_STATE,
        },
        { upsert: true },
      );
    },
  };
}
